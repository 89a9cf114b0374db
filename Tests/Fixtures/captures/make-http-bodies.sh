#!/usr/bin/env bash
# Regenerates http-bodies.pcap, real HTTP traffic with bodies of several media
# types for the body-capture test (`read --include-body-for`): nginx serving
# a JSON document larger than the default cap and a small one (both
# "application/json; charset=utf-8"), an HTML page and a plain-text file
# (no gzip, so bodies are readable), and a JSON POST that nginx refuses with
# 405 (a JSON request body, an HTML response body). One keep-alive curl.
# Needs root, iproute2, ethtool, nginx, curl, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
source "$out/../../../Scripts/lib/netns-pair.sh"
ns_s=body-srv-$$ ns_c=body-cli-$$
work=$(mktemp -d /tmp/dpdkscope-bodies.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody
pids=()
netns_pair_create vbc$$ vbs$$ 02:00:00:00:06:02 02:00:00:00:06:01
in_server() { ip netns exec "$ns_s" "$@"; }
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up vbc$$ vbs$$ 10.99.6.2/24 10.99.6.1/24

mkdir -p "$work/www" "$work/logs" "$work/tmp"
{
    printf '{"items":['
    for i in $(seq 1 20); do printf '{"id":%d,"name":"item %d"},' "$i" "$i"; done
    printf '{"id":0,"name":"last"}]}\n'
} >"$work/www/data.json"
echo '{"ok":true}' >"$work/www/small.json"
echo '<html><body>dpdkscope body page</body></html>' >"$work/www/page.html"
echo 'plain text body' >"$work/www/notes.txt"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    default_type text/plain;
    types { application/json json; text/html html; text/plain txt; }
    charset utf-8;
    charset_types application/json;
    gzip off;
    server {
        listen 10.99.6.1:80;
        root $work/www;
    }
}
EOF
# Not through in_server: $! must be nginx itself (ip netns exec execs).
ip netns exec "$ns_s" nginx -c "$work/nginx.conf" &
pids+=($!)
for _ in $(seq 50); do in_client curl -s -o /dev/null http://10.99.6.1/small.json && break; sleep 0.1; done

in_client dumpcap -q -P -i vbc$$ -f "tcp port 80" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
# One connection: four GETs, then a JSON POST (405, HTML body).
in_client curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
    http://10.99.6.1/data.json http://10.99.6.1/small.json http://10.99.6.1/page.html http://10.99.6.1/notes.txt \
    --next -s -o /dev/null -H 'Content-Type: application/json' --data '{"query":"swift","limit":3}' http://10.99.6.1/data.json
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/http-bodies.pcap"
chmod 644 "$out/http-bodies.pcap"
ls -l "$out/http-bodies.pcap"
