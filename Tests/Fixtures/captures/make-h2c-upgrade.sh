#!/usr/bin/env bash
# Regenerates h2c-upgrade.pcap: HTTP/1.1 upgraded to HTTP/2 in clear
# (RFC 7540 §3.2, "Upgrade: h2c") against a real Apache httpd with
# mod_http2 (Debian 12's 2.4: "Protocols h2c http/1.1"; nginx does not
# upgrade), from curl --http2 on http:// URLs:
#   - a GET upgraded (101, then the 200 on stream 1), with traceparent;
#   - a GET upgraded to a 404;
#   - two URLs on one connection (nghttp -u): the first upgraded, the
#     second on stream 3;
#   - a POST with a body: Apache does not upgrade it, it stays HTTP/1.1.
# Needs root, iproute2, ethtool, curl, dumpcap; apache2 and nghttp2-client
# are installed here if missing (apache2 never started as a service).
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
source "$out/../../../Scripts/lib/netns-pair.sh"
if ! [[ -x /usr/sbin/apache2 ]] || ! command -v nghttp >/dev/null; then
    # policy-rc.d: the package must not start a system-wide server on port 80.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q apache2 nghttp2-client >/dev/null
    rm -f /usr/sbin/policy-rc.d
fi
ns_s=h2u-srv-$$ ns_c=h2u-cli-$$
work=$(mktemp -d /tmp/dpdkscope-h2u.XXXXXX)
chmod 755 "$work"  # httpd's workers run as nobody
pids=()
netns_pair_create vuc$$ vus$$ 02:00:00:00:09:02 02:00:00:00:09:01
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up vuc$$ vus$$ 10.99.9.2/24 10.99.9.1/24

mkdir -p "$work/www" "$work/logs"
echo '<html>apache h2c</html>' >"$work/www/index.html"
echo 'second' >"$work/www/second.txt"
cat >"$work/httpd.conf" <<CONF
ServerRoot /usr/lib/apache2
LoadModule mpm_event_module modules/mod_mpm_event.so
LoadModule http2_module modules/mod_http2.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule mime_module modules/mod_mime.so
ServerName h2u.test
Listen 10.99.9.1:8081
PidFile $work/httpd.pid
ErrorLog $work/logs/error.log
DocumentRoot $work/www
TypesConfig /etc/mime.types
Protocols h2c http/1.1
H2Upgrade on
User nobody
Group nogroup
CONF
ip netns exec "$ns_s" /usr/sbin/apache2 -f "$work/httpd.conf" -DFOREGROUND &
pids+=($!)
url=http://10.99.9.1:8081
for _ in $(seq 50); do
    in_client curl -sS -o /dev/null "$url/" 2>/dev/null && break
    sleep 0.1
done

in_client dumpcap -q -P -i vuc$$ -f "tcp port 8081" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
in_client curl -sS -o /dev/null --http2 -A "curl-h2c" \
    -H 'traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' "$url/index.html"
in_client curl -sS -o /dev/null --http2 "$url/missing"
# nghttp, not curl: 7.88 fails reusing the upgraded connection ("Error in the HTTP2 framing layer").
in_client nghttp -u "$url/index.html" "$url/second.txt" >/dev/null
in_client curl -sS -o /dev/null --http2 -d 'hello=world' "$url/index.html"
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/h2c-upgrade.pcap"
chmod 644 "$out/h2c-upgrade.pcap"
ls -l "$out/h2c-upgrade.pcap"
