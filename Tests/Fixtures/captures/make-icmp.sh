#!/usr/bin/env bash
# Regenerates icmp.pcap for ICMPOracleTests. Three network namespaces: a
# client, a router and a server (10.99.8.0/24 + fd00:98::/64 on the client
# side, 10.99.9.0/24 + fd00:9b::/64 on the server side); dumpcap on the
# client's veth records:
#   - ping and ping -6 through the router (echo pairs with real RTTs)
#   - a ping to the router, which ignores echo (v4): an unanswered request
#   - a UDP datagram to a closed port over v4 and v6: port unreachable
#   - ping -t 1 and ping -6 -t 1: time exceeded from the router
#   - a ping to an absent host behind the router: host unreachable (v4,
#     after the router's ARP gives up), its request also unanswered
# Needs root, iproute2, iputils-ping, python3, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
ns_c=icmp-memcache-c$$ ns_s=icmp-memcache-s$$ ns_r=icmp-memcache-r$$
work=$(mktemp -d /tmp/icmp-capture.XXXXXX)
pids=()
source "$(dirname "$0")/../../../Scripts/lib/netns-pair.sh"
cleanup() {
    netns_pair_cleanup
    ip netns del "$ns_r" 2>/dev/null || true
}
# Client <-> router is the pair; the router gets a second veth to the server.
netns_pair_create icc$$ icr$$ 02:00:00:00:08:02 02:00:00:00:08:01
trap cleanup EXIT
# netns_pair_create put its peer in "$ns_s"; that namespace is the router.
ip netns add "$ns_r"
ip link add irs$$ netns "$ns_s" address 02:00:00:00:09:01 type veth peer name isr$$ netns "$ns_r" address 02:00:00:00:09:02
in_c() { ip netns exec "$ns_c" "$@"; }
in_r() { ip netns exec "$ns_s" "$@"; }   # router
in_s() { ip netns exec "$ns_r" "$@"; }   # server
in_c ip addr add 10.99.8.2/24 dev icc$$
in_c ip addr add fd00:98::2/64 dev icc$$ nodad
in_r ip addr add 10.99.8.1/24 dev icr$$
in_r ip addr add fd00:98::1/64 dev icr$$ nodad
in_r ip addr add 10.99.9.1/24 dev irs$$
in_r ip addr add fd00:9b::1/64 dev irs$$ nodad
in_s ip addr add 10.99.9.2/24 dev isr$$
in_s ip addr add fd00:9b::2/64 dev isr$$ nodad
for dev in icc$$; do in_c ip link set "$dev" up; done
for dev in icr$$ irs$$; do in_r ip link set "$dev" up; done
in_s ip link set isr$$ up
for ns in "$ns_c" "$ns_s" "$ns_r"; do ip netns exec "$ns" ip link set lo up; done
in_c ip route add default via 10.99.8.1
in_c ip -6 route add default via fd00:98::1
in_s ip route add default via 10.99.9.1
in_s ip -6 route add default via fd00:9b::1
in_r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.icmp_echo_ignore_all=1
in_r sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
in_s sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
# Neighbours known in advance: no ARP/ND in the way of the first pings.
sleep 1
in_c ping -c 1 -W 2 10.99.9.2 >/dev/null; in_c ping -6 -c 1 -W 2 fd00:9b::2 >/dev/null

ip netns exec "$ns_c" dumpcap -q -P -i icc$$ -f "icmp or icmp6" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
in_c ping -n -c 3 -i 0.2 10.99.9.2 >/dev/null
in_c ping -n -6 -c 3 -i 0.2 fd00:9b::2 >/dev/null
in_c ping -n -c 1 -W 1 10.99.8.1 >/dev/null || true
in_c python3 -c '
import socket
for family, address in ((socket.AF_INET, "10.99.9.2"), (socket.AF_INET6, "fd00:9b::2")):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.sendto(b"anyone there?", (address, 9))
    s.settimeout(1)
    try: s.recv(100)
    except OSError: pass
'
in_c ping -n -c 1 -t 1 -W 1 10.99.9.2 >/dev/null || true
in_c ping -n -6 -c 1 -t 1 -W 1 fd00:9b::2 >/dev/null || true
in_c ping -n -c 1 -W 5 10.99.9.99 >/dev/null || true
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/icmp.pcap"
chmod 644 "$out/icmp.pcap"
ls -l "$out/icmp.pcap"
