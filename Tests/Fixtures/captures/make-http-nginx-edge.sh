#!/usr/bin/env bash
# Regenerates http-nginx-edge.pcap: issue 17's client-side HTTP oddities sent
# to a real nginx (Debian's), so what the server answers is the server's, not
# a guess. A raw-socket client (python3) on its own connections:
#   1 "POST  /  HTTP/1.0" (extra spaces in the request line)
#   2 "GET /" with no version (HTTP/0.9: nginx answers with the bare body)
#   3 headers that never finish: the client closes mid-header
#   4 a request line cut off by the close ("GET /par")
#   5 the HTTP/2 connection preface on nginx's HTTP/1 port
#   6 a request reset by the client (RST), then a new connection from the
#     same client port, answered
#   7 a keep-alive pair after all that, as a control
# The server-side oddities (broken chunking, late responses), which no
# well-behaved server sends on request, are in make-http-server-edge.sh
# (recorded) and make-http-edge.py (packed by hand).
# Needs root, iproute2, ethtool, nginx, python3, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
source "$out/../../../Scripts/lib/netns-pair.sh"
ns_s=edge-srv-$$ ns_c=edge-cli-$$
work=$(mktemp -d /tmp/dpdkscope-nginx-edge.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody
pids=()
netns_pair_create vec$$ ves$$ 02:00:00:00:07:02 02:00:00:00:07:01
in_server() { ip netns exec "$ns_s" "$@"; }
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up vec$$ ves$$ 10.99.7.2/24 10.99.7.1/24

mkdir -p "$work/www" "$work/logs" "$work/tmp"
echo '<html>nginx edge</html>' >"$work/www/index.html"
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
        listen 10.99.7.1:80;
        root $work/www;
    }
}
EOF
# Not through in_server: $! must be nginx itself (ip netns exec execs).
ip netns exec "$ns_s" nginx -c "$work/nginx.conf" &
pids+=($!)
for _ in $(seq 50); do
    in_client python3 -c 'import socket; socket.create_connection(("10.99.7.1", 80), 0.2).close()' 2>/dev/null && break
    sleep 0.1
done

in_client dumpcap -q -P -i vec$$ -f "tcp port 80" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
in_client python3 - <<'PY'
import socket, struct, time

SERVER = ("10.99.7.1", 80)

def connect(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.99.7.2", port))
    s.connect(SERVER)
    return s

def drain(s, wait=1.0):
    s.settimeout(wait)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data

def exchange(port, request, wait=1.0):
    s = connect(port)
    s.sendall(request)
    drain(s, wait)
    s.close()
    time.sleep(0.2)

exchange(41001, b"POST  /  HTTP/1.0\r\nHost: 10.99.7.1\r\nContent-Length: 0\r\n\r\n")
exchange(41002, b"GET /\r\n")
exchange(41003, b"GET /index.html HTTP/1.1\r\nHost: 10.99.7.1\r\nUser-Ag", wait=0.3)
exchange(41004, b"GET /par", wait=0.3)
exchange(41005, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
# A request reset by the client before the answer is read, then the same
# client port again (the kernel picks a new initial sequence number).
s = connect(41006)
s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 10.99.7.1\r\n\r\n")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
time.sleep(0.3)
exchange(41006, b"GET /index.html HTTP/1.1\r\nHost: 10.99.7.1\r\nConnection: close\r\n\r\n")
s = connect(41007)
s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 10.99.7.1\r\n\r\n")
time.sleep(0.2)
s.sendall(b"GET /missing HTTP/1.1\r\nHost: 10.99.7.1\r\n\r\n")
drain(s)
s.close()
PY
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/http-nginx-edge.pcap"
chmod 644 "$out/http-nginx-edge.pcap"
ls -l "$out/http-nginx-edge.pcap"
