#!/usr/bin/env bash
# capture-extra.sh [OUT] — record Tests/Fuzz/captures/extra.pcap (default OUT):
# real traffic for the fuzz seed corpus that Scripts/data/demo.pcap lacks.
#
#   - IPv4 and IPv6 fragments (ping with 3000-byte payloads)
#   - a 60 kB HTTP download through a token-bucket qdisc that drops packets,
#     captured on the sender's side after the qdisc: the capture holds holes
#     and the retransmissions that fill them, i.e. real out-of-order data
#   - HTTP over IPv6, HTTP inside VXLAN (UDP 4789), and a download the client
#     aborts (RST)
#
# Two throw-away network namespaces joined by a veth pair; nothing leaves the
# machine. Needs root, ip, tc (tbf), dumpcap, python3, curl, ping.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(realpath -m "${1:-$here/captures/extra.pcap}")
ns_c=dpdkscope-fuzz-cli
ns_s=dpdkscope-fuzz-srv

die() { echo "capture-extra: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces)"
for t in ip tc dumpcap python3 curl ping; do command -v "$t" >/dev/null || die "missing '$t'"; done

work=$(mktemp -d)
pids=()
# shellcheck source=../../Scripts/lib/netns-pair.sh
source "$here/../../Scripts/lib/netns-pair.sh"
netns_pair_create fz-cli fz-srv 02:00:00:00:02:01 02:00:00:00:02:02
c() { ip netns exec "$ns_c" "$@"; }
s() { ip netns exec "$ns_s" "$@"; }
for spec in "$ns_c fz-cli 1" "$ns_s fz-srv 2"; do
    read -r ns dev n <<<"$spec"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.200.0.$n/24" dev "$dev"
    ip -n "$ns" addr add "fd00:200::$n/64" dev "$dev" nodad
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1 || true  # real checksums in the capture
    ip -n "$ns" link set "$dev" up
    # VXLAN between the two veth addresses, with its own inner subnet.
    ip -n "$ns" link add vx0 address "02:00:00:00:03:0$n" type vxlan id 42 \
        local "10.200.0.$n" remote "10.200.0.$((3 - n))" dstport 4789 dev "$dev"
    ip -n "$ns" addr add "10.201.0.$n/24" dev vx0
    ip -n "$ns" link set vx0 up
done
# Server egress: 8 Mbit/s with a short queue, so a fast download loses packets.
s tc qdisc add dev fz-srv root tbf rate 8mbit burst 6kb limit 6kb

mkdir -p "$work/www"
python3 -c 'import sys; sys.stdout.write("".join("line %05d of the fuzz seed download\n" % i for i in range(1700)))' \
    >"$work/www/big.txt"
printf 'small file over v6 and vxlan\n' >"$work/www/small.txt"
# `ip netns exec` directly (not the helpers): $! must be the real process.
ip netns exec "$ns_s" python3 - "$work/www" <<'EOF' >"$work/http.log" 2>&1 &
import functools, http.server, socket, sys
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
class V6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
V6(("::", 80), functools.partial(H, directory=sys.argv[1])).serve_forever()
EOF
pids+=($!)
ip netns exec "$ns_s" dumpcap -q -P -i fz-srv -s 0 -w "$work/cap.pcap" 2>"$work/dumpcap.log" &
dumpcap_pid=$!
pids+=("$dumpcap_pid")
for _ in $(seq 50); do
    [[ -s $work/cap.pcap ]] && s ss -Hltn 'sport = :80' | grep -q . && break
    sleep 0.1
done
[[ -s $work/cap.pcap ]] || die "dumpcap did not start: $(tail -n 2 "$work/dumpcap.log")"
sleep 1.5  # let IPv6 neighbour discovery settle before the interesting part

c ping -q -c 2 -i 0.2 -s 3000 10.200.0.2 >/dev/null
c ping -q -c 2 -i 0.2 -s 3000 fd00:200::2 >/dev/null
c curl -sS -o /dev/null http://10.200.0.2/big.txt
c curl -sS -o /dev/null "http://[fd00:200::2]/small.txt"
c curl -sS -o /dev/null http://10.201.0.2/small.txt
c curl -sS -o /dev/null --limit-rate 20k --max-time 0.5 http://10.200.0.2/big.txt || true  # aborted: RST
sleep 0.5

kill -INT "$dumpcap_pid"
wait "$dumpcap_pid" || true
mkdir -p "$(dirname "$out")"
mv "$work/cap.pcap" "$out"
chmod 644 "$out"
echo "wrote $out: $(stat -c %s "$out") bytes"
