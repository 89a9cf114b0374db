#!/usr/bin/env bash
# Regenerates the real-traffic captures the ScopeAnalyzers oracle tests use:
#   http.pcap  nginx + curl (keep-alive, POST, 100-continue, chunked request and
#              response, 404/500/204/304, HEAD, HTTP/1.0 close-delimited, IPv6,
#              a non-standard port) and a raw-socket pipelining client
#   dns.pcap   dnsmasq + dig (A/AAAA/MX/TXT/SRV/CNAME/PTR, NXDOMAIN, TCP, EDNS
#              with DO, no EDNS, a non-standard port, one query never answered)
# Two network namespaces joined by a veth pair; servers in one, clients in the
# other, dumpcap on the client's veth. Needs root, iproute2, ethtool, nginx,
# dnsmasq, dig, curl, python3, dumpcap. Cleans up after itself.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
tag=$$
server=dss$tag client=dsc$tag
veth_server=vs$tag veth_client=vc$tag
work=$(mktemp -d /tmp/dpdkscope-captures.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    ip netns pids "$server" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$server" 2>/dev/null || true
    ip netns del "$client" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

in_server() { ip netns exec "$server" "$@"; }
in_client() { ip netns exec "$client" "$@"; }

ip netns add "$server"
ip netns add "$client"
ip link add "$veth_server" type veth peer name "$veth_client"
ip link set "$veth_server" netns "$server"
ip link set "$veth_client" netns "$client"
in_server ip addr add 10.99.0.1/24 dev "$veth_server"
in_client ip addr add 10.99.0.2/24 dev "$veth_client"
in_server ip addr add fd00:99::1/64 dev "$veth_server" nodad
in_client ip addr add fd00:99::2/64 dev "$veth_client" nodad
for ns in "$server" "$client"; do ip netns exec "$ns" ip link set lo up; done
in_server ip link set "$veth_server" up
in_client ip link set "$veth_client" up
# Real checksums and wire-sized segments in the capture: no offloads.
in_server ethtool -K "$veth_server" tx off tso off gso off gro off >/dev/null 2>&1 || true
in_client ethtool -K "$veth_client" tx off tso off gso off gro off >/dev/null 2>&1 || true

# --- nginx ---------------------------------------------------------------
mkdir -p "$work/www" "$work/logs" "$work/tmp"
chmod 777 "$work/www" "$work/tmp"  # PUT uploads and body buffering as nobody
echo '<html><body>dpdkscope test page</body></html>' >"$work/www/index.html"
echo 'plain text' >"$work/www/a.txt"
for i in $(seq 1 300); do echo "line $i of a compressible text that nginx gzips chunked"; done >"$work/www/big.txt"
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
    types { text/html html; text/plain txt; }
    gzip on;
    gzip_min_length 0;
    gzip_types text/plain;
    gzip_http_version 1.0;
    if_modified_since before;
    server {
        listen 10.99.0.1:80;
        listen 10.99.0.1:9000;
        listen [fd00:99::1]:80;
        root $work/www;
        location /upload/ { dav_methods PUT; create_full_put_path on; }
        location = /post { client_max_body_size 1m; return 200 "posted\n"; }
        location = /fail { return 500; }
        location = /empty { return 204; }
    }
}
EOF
ip netns exec "$server" nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)

# --- dnsmasq -------------------------------------------------------------
ip netns exec "$server" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address=10.99.0.1 --port=53 --pid-file="$work/dnsmasq.pid" --local=/test/ \
    --host-record=host.test,10.99.0.5,fd00:99::5 --cname=alias.test,host.test \
    --mx-host=test,mail.test,10 --txt-record=txt.test,"hello world","second string" \
    --srv-host=_http._tcp.test,host.test,80,0,5 --log-facility="$work/logs/dnsmasq.log" &
pids+=($!)
ip netns exec "$server" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address=10.99.0.1 --port=5300 --pid-file="$work/dnsmasq2.pid" --local=/test/ \
    --host-record=other.test,10.99.0.6 --log-facility="$work/logs/dnsmasq2.log" &
pids+=($!)
sleep 1.5

capture() {  # capture FILE COMMANDS...: records the client veth while COMMANDS run
    local file=$1; shift
    # Not through in_client: $! must be dumpcap itself (ip netns exec execs), not a subshell.
    ip netns exec "$client" dumpcap -q -P -i "$veth_client" -f "not icmp6 and not arp" -w "$work/capture.pcap" &
    local dumper=$!
    sleep 1.5
    "$@"
    sleep 1
    kill -TERM "$dumper"  # background jobs of a script ignore SIGINT
    wait "$dumper" || true
    cp "$work/capture.pcap" "$out/$file"
    chmod 644 "$out/$file"
}

curl_quiet() { in_client curl -sS "$@" >/dev/null; }  # -o would cover one URL only

http_traffic() {
    local c=(curl_quiet)
    # Keep-alive: three URLs over one connection (index, text, 404).
    "${c[@]}" http://10.99.0.1/ http://10.99.0.1/a.txt http://10.99.0.1/missing
    "${c[@]}" -X POST --data-binary 'name=dpdkscope&value=42' http://10.99.0.1/post
    head -c 3000 /dev/zero | tr '\0' 'x' >"$work/upload.bin"
    "${c[@]}" -H 'Expect: 100-continue' -T "$work/upload.bin" http://10.99.0.1/upload/file.bin
    "${c[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$work/upload.bin" http://10.99.0.1/post
    "${c[@]}" --compressed -A 'dpdkscope-test/1.0' -H 'Authorization: Basic c2VjcmV0OnNlY3JldA==' \
        -H 'Cookie: session=topsecret; theme=dark' http://10.99.0.1/big.txt
    "${c[@]}" -0 --compressed http://10.99.0.1/big.txt
    "${c[@]}" -I http://10.99.0.1/index.html
    "${c[@]}" -z 'Tue, 01 Jan 2030 00:00:00 GMT' http://10.99.0.1/index.html
    "${c[@]}" http://10.99.0.1/fail http://10.99.0.1/empty
    "${c[@]}" -g 'http://[fd00:99::1]/a.txt?x=1&y=2'
    "${c[@]}" http://10.99.0.1:9000/a.txt
    # Pipelining: three requests in one write on one connection.
    in_client python3 - <<'EOF'
import socket
s = socket.create_connection(("10.99.0.1", 80))
s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: 10.99.0.1\r\n\r\n"
          b"HEAD /index.html HTTP/1.1\r\nHost: 10.99.0.1\r\n\r\n"
          b"GET /nothing-here HTTP/1.1\r\nHost: 10.99.0.1\r\nConnection: close\r\n\r\n")
while s.recv(65536):
    pass
s.close()
EOF
}

dig_quiet() { in_client dig "$@" >/dev/null; }

dns_traffic() {
    local d=(dig_quiet @10.99.0.1 +tries=1 +timeout=2)
    "${d[@]}" host.test A
    "${d[@]}" host.test AAAA
    "${d[@]}" test MX
    "${d[@]}" txt.test TXT
    "${d[@]}" _http._tcp.test SRV
    "${d[@]}" alias.test A
    "${d[@]}" -x 10.99.0.5
    "${d[@]}" nope.test A
    "${d[@]}" +tcp host.test A
    "${d[@]}" +dnssec +bufsize=1232 host.test A
    "${d[@]}" +noedns host.test A
    "${d[@]}" -p 5300 other.test A
    # Nobody listens on 5399: the query is never answered.
    "${d[@]}" -p 5399 +timeout=1 lost.test A || true
}

capture http.pcap http_traffic
capture dns.pcap dns_traffic
ls -l "$out"/*.pcap
