#!/usr/bin/env bash
# Regenerates http2.pcap: HTTP/2 in clear with prior knowledge against a
# real nginx (Debian 12's 1.22: "listen ... http2" without ssl), from
# curl --http2-prior-knowledge (a GET, a 404, a 40 kB body, a POST with a body, a
# request with traceparent/tracestate) and h2load (nghttp2-client: 200
# requests on 2 connections, up to 50 concurrent streams each).
# Needs root, iproute2, ethtool, nginx, curl, nghttp2-client, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
source "$out/../../../Scripts/lib/netns-pair.sh"
ns_s=h2-srv-$$ ns_c=h2-cli-$$
work=$(mktemp -d /tmp/dpdkscope-h2.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody
pids=()
netns_pair_create vhc$$ vhs$$ 02:00:00:00:08:02 02:00:00:00:08:01
in_server() { ip netns exec "$ns_s" "$@"; }
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up vhc$$ vhs$$ 10.99.8.2/24 10.99.8.1/24

mkdir -p "$work/www" "$work/logs" "$work/tmp"
echo '<html>nginx h2c</html>' >"$work/www/index.html"
head -c 40000 /dev/zero | tr '\0' 'x' >"$work/www/big.txt"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    default_type text/html;
    server_tokens off;
    gzip off;
    server {
        listen 10.99.8.1:8080 http2;
        root $work/www;
        location /echo { return 200 "posted\n"; }
    }
}
EOF
ip netns exec "$ns_s" nginx -c "$work/nginx.conf" &
pids+=($!)
for _ in $(seq 50); do
    in_client curl -sS -o /dev/null --http2-prior-knowledge http://10.99.8.1:8080/ 2>/dev/null && break
    sleep 0.1
done

in_client dumpcap -q -P -i vhc$$ -f "tcp port 8080" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
url=http://10.99.8.1:8080
# One URL per curl: 7.88 fails reusing a prior-knowledge connection ("Error in
# the HTTP2 framing layer"); h2load below puts many streams on one connection.
for path in index.html missing big.txt; do
    in_client curl -sS -o /dev/null --http2-prior-knowledge -A "curl-h2" "$url/$path"
done
in_client curl -sS -o /dev/null --http2-prior-knowledge -d 'hello=world' "$url/echo"
in_client curl -sS -o /dev/null --http2-prior-knowledge \
    -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' -H 'tracestate: congo=t61rcWkgMzE' \
    -H 'Authorization: Bearer secret-token' "$url/index.html"
in_client h2load -n 200 -c 2 -m 50 "$url/index.html" >/dev/null
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/http2.pcap"
chmod 644 "$out/http2.pcap"
ls -l "$out/http2.pcap"
