#!/usr/bin/env bash
# Regenerates memcache.pcap for MemcacheOracleTests: a real memcached
# (TCP and UDP on 11211) in one network namespace, clients in another:
#   - text protocol (python3 socket client): set/add/replace/append/prepend/
#     cas, multi-key get/gets, incr/decr (and a non-numeric incr error),
#     delete, touch, noreply, an unknown command, stats, version, verbosity,
#     a 100 000-byte value, a pipelined burst, meta commands, flush_all, quit
#   - the same over IPv6 (a short session)
#   - binary protocol: libmemcached's memccp/memccat/memcrm/memcstat --binary,
#     and a python3 client sending a GETQ/GETKQ/SETQ pipeline ended by NOOP
#   - UDP (frame header): text get/set, a multi-key get answered in two
#     writes, a 6000-byte value (stored over TCP) answered in five
#     datagrams, a binary get, version
# Needs root, iproute2, memcached, libmemcached-tools, python3, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
ns_c=memcache-c$$ ns_s=memcache-s$$
work=$(mktemp -d /tmp/memcache-capture.XXXXXX)
pids=()
source "$(dirname "$0")/../../../Scripts/lib/netns-pair.sh"
netns_pair_create mcc$$ mcs$$ 02:00:00:00:07:02 02:00:00:00:07:01
in_s() { ip netns exec "$ns_s" "$@"; }
in_c() { ip netns exec "$ns_c" "$@"; }
in_s ip addr add 10.99.7.1/24 dev mcs$$
in_c ip addr add 10.99.7.2/24 dev mcc$$
in_s ip addr add fd00:97::1/64 dev mcs$$ nodad
in_c ip addr add fd00:97::2/64 dev mcc$$ nodad
for ns in "$ns_s" "$ns_c"; do ip netns exec "$ns" ip link set lo up; done
in_s ip link set mcs$$ up
in_c ip link set mcc$$ up
in_s ethtool -K mcs$$ tx off tso off gso off gro off >/dev/null 2>&1 || true
in_c ethtool -K mcc$$ tx off tso off gso off gro off >/dev/null 2>&1 || true

ip netns exec "$ns_s" memcached -u nobody -l 10.99.7.1,[fd00:97::1] -p 11211 -U 11211 -m 16 -t 1 -c 64 &
pids+=($!)
sleep 1

cat >"$work/text.py" <<'PY'
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.connect((sys.argv[1], 11211))
def talk(data, ends=(b"\r\n",), count=1):
    s.sendall(data)
    got = b""
    while sum(got.count(e) for e in ends) < count or not any(got.endswith(e) for e in ends):
        chunk = s.recv(65536)
        if not chunk: break
        got += chunk
    return got
if sys.argv[2] == "short":
    talk(b"version\r\n"); talk(b"set v6 0 0 2\r\nv6\r\n"); talk(b"get v6 nothere\r\n", (b"END\r\n",))
    s.sendall(b"quit\r\n"); s.recv(10); sys.exit(0)
talk(b"set k1 0 0 5\r\nhello\r\n")
talk(b"set k2 3 300 10\r\n0123456789\r\n")
talk(b"get k1 k2 k3\r\n", (b"END\r\n",))
talk(b"gets k1\r\n", (b"END\r\n",))
talk(b"cas k1 0 0 3 1\r\nabc\r\n")
talk(b"add k1 0 0 1\r\nx\r\n")
talk(b"append k1 0 0 3\r\n!!!\r\n")
talk(b"prepend k1 0 0 3\r\n>>>\r\n")
talk(b"replace nokey 0 0 1\r\nx\r\n")
talk(b"set n 0 0 2\r\n10\r\n")
talk(b"incr n 5\r\n"); talk(b"decr n 3\r\n"); talk(b"incr k1 1\r\n")
talk(b"delete k2\r\n"); talk(b"delete k2\r\n")
talk(b"touch k1 60\r\n"); talk(b"touch nokey 60\r\n")
s.sendall(b"set quiet 0 0 3 noreply\r\nqqq\r\n")
talk(b"bogus command here\r\n")
talk(b"stats\r\n", (b"END\r\n",))
talk(b"stats slabs\r\n", (b"END\r\n",))
talk(b"version\r\n"); talk(b"verbosity 1\r\n")
talk(b"set big 0 0 100000\r\n" + bytes(i % 251 for i in range(100000)) + b"\r\n")
talk(b"get big\r\n", (b"END\r\n",))
talk(b"get k1\r\nget n\r\nget big\r\nget quiet\r\n", (b"END\r\n",), 4)
talk(b"ms meta 2 T60\r\nmm\r\n"); talk(b"mg meta v f\r\n", (b"\r\n",), 2); talk(b"mg nometa v\r\n"); talk(b"mn\r\n")
talk(b"flush_all\r\n")
s.sendall(b"quit\r\n"); s.recv(10)
PY

cat >"$work/binary.py" <<'PY'
import socket, struct
s = socket.create_connection(("10.99.7.1", 11211))
def packet(op, key=b"", extras=b"", value=b"", opaque=0):
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0,
                       len(extras) + len(key) + len(value), opaque, 0) + extras + key + value
def responses(until_opaque):
    buf = b""
    while True:
        while len(buf) >= 24:
            body = struct.unpack(">I", buf[8:12])[0]
            if len(buf) < 24 + body: break
            opaque = struct.unpack(">I", buf[12:16])[0]
            buf = buf[24 + body:]
            if opaque == until_opaque: return
        buf += s.recv(65536)
flags = struct.pack(">II", 0, 0)
s.sendall(packet(0x01, b"b1", flags, b"binary-one", 1)); responses(1)
s.sendall(packet(0x01, b"b2", flags, b"binary-two", 2)); responses(2)
# Quiet pipeline: GETQ hit, GETQ miss, GETKQ hit, SETQ, SETQ, then NOOP.
s.sendall(packet(0x09, b"b1", opaque=3) + packet(0x09, b"missing", opaque=4) + packet(0x0D, b"b2", opaque=5)
          + packet(0x11, b"q1", flags, b"quiet1", 6) + packet(0x11, b"q2", flags, b"quiet2", 7) + packet(0x0A, opaque=8))
responses(8)
s.sendall(packet(0x00, b"missing", opaque=9)); responses(9)
s.sendall(packet(0x05, b"counter", struct.pack(">QQI", 1, 100, 0), opaque=10)); responses(10)
s.sendall(packet(0x05, b"b1", struct.pack(">QQI", 1, 0, 0), opaque=11)); responses(11)
s.sendall(packet(0x0B, opaque=12)); responses(12)
s.sendall(packet(0x10, opaque=13)); responses(13)
s.sendall(packet(0x07, opaque=14)); responses(14)
PY

cat >"$work/udp.py" <<'PY'
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.99.7.1", 11211))
def ask(request_id, payload):
    s.send(struct.pack(">HHHH", request_id, 0, 1, 0) + payload)
    seen, total = 0, None
    while total is None or seen < total:
        data = s.recv(65536)
        total = struct.unpack(">H", data[4:6])[0]
        seen += 1
ask(1, b"set udpk 0 0 3\r\nabc\r\n")
ask(2, b"get udpk missing\r\n")
# A value too big for one request datagram is stored over TCP (no IP fragments).
t = socket.create_connection(("10.99.7.1", 11211))
t.sendall(b"set udpbig 0 0 6000\r\n" + b"u" * 6000 + b"\r\n")
while not t.recv(100).endswith(b"\r\n"): pass
t.sendall(b"quit\r\n"); t.recv(10); t.close()
ask(4, b"get udpbig\r\n")
ask(5, struct.pack(">BBHBBHIIQ", 0x80, 0x00, 4, 0, 0, 0, 4, 77, 0) + b"udpk")
ask(6, b"version\r\n")
PY

ip netns exec "$ns_c" dumpcap -q -P -i mcc$$ -f "port 11211" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
in_c python3 "$work/text.py" 10.99.7.1 full
in_c python3 "$work/text.py" fd00:97::1 short
printf 'memccp content\n' >"$work/bfile"
(cd "$work" && in_c memccp --binary --servers=10.99.7.1 bfile)
in_c memccat --binary --servers=10.99.7.1 bfile >/dev/null
in_c memccat --binary --servers=10.99.7.1 nosuchkey >/dev/null 2>&1 || true
in_c memcrm --binary --servers=10.99.7.1 bfile
in_c memcstat --binary --servers=10.99.7.1 >/dev/null
in_c python3 "$work/binary.py"
in_c python3 "$work/udp.py"
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/memcache.pcap"
chmod 644 "$out/memcache.pcap"
ls -l "$out/memcache.pcap"
