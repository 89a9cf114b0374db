#!/usr/bin/env bash
# Regenerates linktypes/*: one session of loopback traffic recorded at once
# by four real capturers, so every file holds the same packets under a
# different link layer:
#   lo.pcap        tcpdump -i lo           Ethernet (1), zero MACs
#   sll.pcap       tcpdump -i any          Linux cooked v1 (113)
#   sll2.pcap      tcpdump -i any -y LINUX_SLL2   Linux cooked v2 (276)
#   lo-any.pcapng  dumpcap -i lo -i any    pcapng, two interfaces, link
#                                          types 1 and 113 (every packet twice)
# Traffic, in a private network namespace (its own lo, nothing else on it):
# curl fetching two pages from python's http.server over IPv4 and IPv6, and
# UDP datagrams to a python echo server over both. Then relink.py rewrites
# lo.pcap into the link types no Linux capturer writes (NULL both byte
# orders, LOOP, PPP, PPP in HDLC framing, PPPoE in Ethernet, Cisco HDLC, raw
# IP 101/228/229, a pcapng mixing link types). The tests read every file
# with tshark as the oracle. Needs root, iproute2, tcpdump, dumpcap, curl,
# python3.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)/linktypes
ns=linktypes$$
work=$(mktemp -d /tmp/linktypes.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up

mkdir "$work/www"
printf 'hello from the link-type fixture\n' >"$work/www/index.html"
head -c 3000 /dev/zero | tr '\0' 'x' >"$work/www/big.txt"
# Background jobs start `ip netns exec` itself (not the in_ns function,
# which would fork a shell): it execs the command, so $! is the server or
# capturer and the signals below reach it.
ip netns exec "$ns" python3 -m http.server 8080 --bind :: --directory "$work/www" >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$ns" python3 -c '
import socket, select
socks = []
for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(family, socket.SOCK_DGRAM); s.bind((address, 9999)); socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(2048); s.sendto(data.upper(), peer)
' &
pids+=($!)
sleep 1

filter="tcp port 8080 or udp port 9999"
ip netns exec "$ns" tcpdump -q -U -i lo -w "$work/lo.pcap" "$filter" 2>/dev/null &
pids+=($!)
ip netns exec "$ns" tcpdump -q -U -i any -w "$work/sll.pcap" "$filter" 2>/dev/null &
pids+=($!)
ip netns exec "$ns" tcpdump -q -U -i any -y LINUX_SLL2 -w "$work/sll2.pcap" "$filter" 2>/dev/null &
pids+=($!)
ip netns exec "$ns" dumpcap -q -i lo -i any -f "$filter" -w "$work/lo-any.pcapng" 2>/dev/null &
pids+=($!)
sleep 2

in_ns curl -s -o /dev/null http://127.0.0.1:8080/index.html
in_ns curl -s -o /dev/null http://[::1]:8080/big.txt
in_ns curl -s -o /dev/null http://127.0.0.1:8080/missing
in_ns python3 -c '
import socket
for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(family, socket.SOCK_DGRAM); s.settimeout(2)
    for n in range(2):
        s.sendto(b"ping %d" % n, (address, 9999)); s.recvfrom(2048)
'
sleep 1
# Stop the capturers (SIGINT: they flush and close their files), then the servers.
capturers=("${pids[@]:2}")
for pid in "${capturers[@]}"; do kill -INT "$pid"; done
for pid in "${capturers[@]}"; do wait "$pid" || true; done

mkdir -p "$out"
cp "$work/lo.pcap" "$work/sll.pcap" "$work/sll2.pcap" "$work/lo-any.pcapng" "$out/"
chmod 644 "$out"/*.pcap "$out"/*.pcapng
python3 "$(dirname "$0")/relink.py" "$out/lo.pcap" "$out"
# tshark's reading of every file, packet by packet: the oracle the tests
# compare the decoder with (LinkTypeFixtureTests).
mkdir -p "$out/oracle"
for file in "$out"/*.pcap "$out"/*.pcapng; do
    fields=(frame.number frame.interface_id ip.src ip.dst ipv6.src ipv6.dst ip.proto ipv6.nxt
            tcp.srcport tcp.dstport udp.srcport udp.dstport)
    {
        echo "# tshark -r linktypes/${file##*/} -T fields -E header=y$(printf " -e %s" "${fields[@]}")"
        tshark -r "$file" -T fields -E header=y "${fields[@]/#/-e}" 2>/dev/null
    } >"$out/oracle/${file##*/}.tsv"
done
ls -l "$out"
