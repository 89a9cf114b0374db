#!/usr/bin/env bash
# Regenerates http-server-edge.pcap: issue 17's server-side HTTP oddities
# (broken chunking, a late response) sent over a real TCP stack to a real
# client (curl), so the client's reaction (it gives up and closes) is real
# too. No well-behaved server breaks its own chunking on request, so the
# server is a small raw-socket one (python3) that answers by path:
#   42001 /chunk-bad-size      "zz" where the second chunk's size belongs
#   42002 /chunk-no-crlf       a chunk followed by "XY" instead of CRLF
#   42003 /chunk-overflow      a 17-digit hex size (beyond 2^64)
#   42004 /chunk-0x            a "0x5" size (a C-style prefix some parsers take)
#   42005 /chunk-extension     a valid chunk extension ("5;name=value"): control
#   42006 /chunk-cut           the server closes inside the first chunk
#   42007 /slow                answered 12 s later (past the 10 s transaction
#                              timeout) while 42008 asks for /tick once a
#                              second on one keep-alive connection
# make-http-edge.py has the same oddities packed by hand; this file is the
# recorded counterpart. Needs root, iproute2, ethtool, curl, python3, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
source "$out/../../../Scripts/lib/netns-pair.sh"
ns_s=sedge-srv-$$ ns_c=sedge-cli-$$
work=$(mktemp -d /tmp/dpdkscope-server-edge.XXXXXX)
pids=()
netns_pair_create vsc$$ vss$$ 02:00:00:00:0b:02 02:00:00:00:0b:01
in_server() { ip netns exec "$ns_s" "$@"; }
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up vsc$$ vss$$ 10.99.11.2/24 10.99.11.1/24

cat >"$work/server.py" <<'PY'
import socketserver, time

HEAD = (b"HTTP/1.1 200 OK\r\nServer: edge\r\nContent-Type: text/plain\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n")
BODIES = {
    b"/chunk-bad-size": b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n",
    b"/chunk-no-crlf": b"4\r\nabcdXY\r\n0\r\n\r\n",
    b"/chunk-overflow": b"5\r\nhello\r\n10000000000000005\r\nworld\r\n0\r\n\r\n",
    b"/chunk-0x": b"0x5\r\nhello\r\n0\r\n\r\n",
    b"/chunk-extension": b"5;name=value\r\nhello\r\n0\r\n\r\n",
}
PLAIN = b"HTTP/1.1 200 OK\r\nServer: edge\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            path = line.split(b" ")[1] if line.count(b" ") >= 2 else b"/"
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            if path in BODIES:
                self.wfile.write(HEAD + BODIES[path])
            elif path == b"/chunk-cut":
                self.wfile.write(HEAD + b"5\r\nhel")
                return
            elif path == b"/slow":
                time.sleep(12)
                self.wfile.write(PLAIN)
            else:
                self.wfile.write(PLAIN)
            self.wfile.flush()


socketserver.ThreadingTCPServer.allow_reuse_address = True
with socketserver.ThreadingTCPServer(("10.99.11.1", 80), Handler) as server:
    server.serve_forever()
PY
# Not through in_server: $! must be python itself (ip netns exec execs).
ip netns exec "$ns_s" python3 "$work/server.py" &
pids+=($!)
for _ in $(seq 50); do
    in_client python3 -c 'import socket; socket.create_connection(("10.99.11.1", 80), 0.2).close()' 2>/dev/null && break
    sleep 0.1
done

in_client dumpcap -q -P -i vsc$$ -f "tcp port 80" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
port=42001
for path in chunk-bad-size chunk-no-crlf chunk-overflow chunk-0x chunk-extension chunk-cut; do
    # curl gives up on the broken ones (exit 56); that is the point.
    in_client curl -s -o /dev/null --max-time 5 --local-port $port "http://10.99.11.1/$path" || true
    port=$((port + 1))
    sleep 0.2
done
in_client curl -s -o /dev/null --max-time 20 --local-port 42007 http://10.99.11.1/slow &
slow=$!
sleep 0.2
# One keep-alive connection, a request a second: the capture's clock moves
# past the transaction timeout while /slow waits.
in_client python3 - <<'PY'
import socket, time
s = socket.socket()
s.bind(("10.99.11.2", 42008))
s.connect(("10.99.11.1", 80))
s.settimeout(2)
for _ in range(14):
    s.sendall(b"GET /tick HTTP/1.1\r\nHost: 10.99.11.1\r\n\r\n")
    got = b""
    while not got.endswith(b"ok"):
        got += s.recv(4096)
    time.sleep(1)
s.close()
PY
wait "$slow" || true
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/http-server-edge.pcap"
chmod 644 "$out/http-server-edge.pcap"
ls -l "$out/http-server-edge.pcap"
