#!/usr/bin/env bash
# make-headers.sh [--oracle-only] — records headers.pcap for the decoder's
# per-header tests (Tests/ScopeDecodeTests/HeaderOracle*.swift), then writes
# headers-oracle/*.tsv: what tshark says about every packet of headers.pcap
# and ../../Fuzz/captures/extra.pcap (TCP SACK blocks from a lossy download).
# --oracle-only rewrites the tables from the existing captures.
#
# Two namespaces joined by a veth pair; dumpcap on the client's veth records:
#   - TCP and UDP echo over IPv4 and IPv6 (SYN options MSS/SACK-permitted/
#     timestamps/window scale), ping, ping -6, UDP to a closed port (ICMP and
#     ICMPv6 errors)
#   - IPv4 options: ping -R (record route), ping -T tsonly (timestamps)
#   - IPv4 and IPv6 fragments: ping -s 3000
#   - IPv6 extension headers: UDP with hop-by-hop and destination options
#     (small and 3000 bytes: HBH, fragment, destination), ping -6 through an
#     SRv6 inline route (routing header type 4), the same with options
#   - 802.1Q (VLAN 10) and QinQ (802.1ad 100 with PCP 5, then 802.1Q 200)
#   - GRE: IPv4 in GRE with checksum, key and sequence; Ethernet in GRE
#     (0x6558) with a key; IPv6 in GRE over IPv6
#   - VXLAN (VNI 42, UDP 4789), kernel-encapsulated
# This kernel has no 802.1Q or GRE drivers: make-headers-relay.py builds those
# headers around the kernel's traffic from TUN/TAP devices.
# Needs root, iproute2, iputils-ping, python3, dumpcap, tshark, ethtool.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
oracle_dir=$here/headers-oracle

# oracle PCAP NAME FIELD... — one table per layer: a comment with the exact
# command, then tshark's header line and one row per packet that has NAME's
# first field. Reassembly is off so every fragment is reported as captured.
oracle() {
    local pcap=$1 name=$2 filter=$3
    shift 3
    local args=(-r "$here/$pcap" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -o ip.check_checksum:TRUE
                -o tcp.desegment_tcp_streams:FALSE -o tcp.analyze_sequence_numbers:FALSE
                -Y "$filter" -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=,)
    for field in frame.number "$@"; do args+=(-e "$field"); done
    local table=$oracle_dir/${pcap##*/}
    table=${table%.pcap}.$name.tsv
    { echo "# tshark ${args[*]}" | sed "s|$here/||"; tshark "${args[@]}" 2>/dev/null; } >"$table"
    echo "oracle: $(($(wc -l <"$table") - 2)) rows in ${table#$here/}"
}

write_oracles() {
    mkdir -p "$oracle_dir"
    for pcap in headers.pcap ../../Fuzz/captures/extra.pcap; do
        oracle "$pcap" frames frame frame.protocols frame.cap_len
        oracle "$pcap" eth eth eth.dst eth.src eth.type vlan.id vlan.etype ieee8021ad.id
        oracle "$pcap" ipv4 ip ip.hdr_len ip.dsfield ip.len ip.id ip.flags.mf ip.frag_offset ip.ttl \
            ip.proto ip.src ip.dst ip.checksum.status
        oracle "$pcap" ipv6 ipv6 ipv6.tclass ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim ipv6.src ipv6.dst \
            ipv6.hopopts.nxt ipv6.hopopts.len ipv6.routing.nxt ipv6.routing.len ipv6.routing.type \
            ipv6.dstopts.nxt ipv6.dstopts.len ipv6.fraghdr.nxt ipv6.fraghdr.offset ipv6.fraghdr.more ipv6.fraghdr.ident
        oracle "$pcap" tcp tcp tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.flags tcp.window_size_value \
            tcp.urgent_pointer tcp.hdr_len tcp.len tcp.options.mss_val tcp.options.wscale.shift \
            tcp.option_kind tcp.options.sack.count tcp.options.timestamp.tsval tcp.options.timestamp.tsecr
        oracle "$pcap" udp udp udp.srcport udp.dstport udp.length
        oracle "$pcap" icmp icmp icmp.type icmp.code icmp.ident icmp.seq
        oracle "$pcap" icmpv6 icmpv6 icmpv6.type icmpv6.code icmpv6.echo.identifier icmpv6.echo.sequence_number
        oracle "$pcap" gre gre gre.flags_and_version gre.proto gre.key gre.sequence_number
        oracle "$pcap" vxlan vxlan vxlan.flags vxlan.vni
    done
}

if [[ ${1:-} == --oracle-only ]]; then write_oracles; exit 0; fi

die() { echo "make-headers: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces)"
for t in ip ethtool dumpcap tshark python3 ping; do command -v "$t" >/dev/null || die "missing '$t'"; done

ns_c=dpdkscope-hdr-cli
ns_s=dpdkscope-hdr-srv
work=$(mktemp -d /tmp/headers-capture.XXXXXX)
pids=()
# shellcheck source=../../../Scripts/lib/netns-pair.sh
source "$here/../../../Scripts/lib/netns-pair.sh"
netns_pair_create hdr-c hdr-s 02:00:00:00:0a:01 02:00:00:00:0a:02
c() { ip netns exec "$ns_c" "$@"; }
relay="$here/make-headers-relay.py"

# bring_up NS DEV N V4NET V6NET — address .N / ::N on DEV, no DAD.
bring_up() {
    ip -n "$1" addr add "$4.$3/24" dev "$2"
    [[ -n $5 ]] && ip -n "$1" addr add "$5::$3/64" dev "$2" nodad
    ip -n "$1" link set "$2" up
}
# wait_link NS DEV — a relay has created its device.
wait_link() {
    for _ in $(seq 50); do ip -n "$1" link show dev "$2" >/dev/null 2>&1 && return; sleep 0.1; done
    die "device $2 did not appear in $1"
}

for spec in "$ns_c hdr-c 1" "$ns_s hdr-s 2"; do
    read -r ns dev n <<<"$spec"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1 || true  # real checksums in the capture
    bring_up "$ns" "$dev" "$n" 10.97.0 fd00:97:0
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.seg6_enabled=1 "net.ipv6.conf.$dev.seg6_enabled=1"
    ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
    # Kernel VXLAN.
    ip -n "$ns" link add vx0 address "02:00:00:00:0b:0$n" type vxlan id 42 \
        local "10.97.0.$n" remote "10.97.0.$((3 - n))" dstport 4789 dev "$dev"
    bring_up "$ns" vx0 "$n" 10.96.1 ""
    # User-space 802.1Q, QinQ (outer TCI 0xA064: PCP 5, VLAN 100) and GRE.
    tunnels=("vl10 vlan vl10 $dev 8100:10" "qq0 vlan qq0 $dev 88a8:41060,8100:200"
             "gre4 gre gre4 10.97.0.$((3 - n)) tun key=1001 seq csum"
             "gtap gre gtap 10.97.0.$((3 - n)) tap key=2002"
             "gre6 gre gre6 fd00:97:0::$((3 - n)) tun")
    for tunnel in "${tunnels[@]}"; do
        read -r name args <<<"$tunnel"
        # shellcheck disable=SC2086
        ip netns exec "$ns" python3 "$relay" $args &
        pids+=($!)
        wait_link "$ns" "$name"
    done
    ip -n "$ns" link set vl10 address "02:00:00:00:0c:0$n" mtu 1400
    ip -n "$ns" link set qq0 address "02:00:00:00:0d:0$n" mtu 1400
    ip -n "$ns" link set gtap address "02:00:00:00:0e:0$n" mtu 1400
    ip -n "$ns" link set gre4 mtu 1400
    ip -n "$ns" link set gre6 mtu 1400
    bring_up "$ns" vl10 "$n" 10.96.10 fd00:96:10
    bring_up "$ns" qq0 "$n" 10.96.20 fd00:96:20
    bring_up "$ns" gre4 "$n" 10.96.30 ""
    bring_up "$ns" gtap "$n" 10.96.31 ""
    bring_up "$ns" gre6 "$n" 10.96.32 fd00:96:32
done
# SRv6: the server also answers on fd00:96:99::2, which the client reaches
# through an inline segment list (a routing header via fd00:97:0::2).
ip -n "$ns_s" addr add fd00:96:99::2/128 dev lo
c ip -6 route add fd00:96:99::2/128 encap seg6 mode inline segs fd00:97:0::2 dev hdr-c
ip -n "$ns_s" -6 route add fd00:97:0::1/128 dev hdr-s 2>/dev/null || true

# Echo server for TCP and UDP, IPv4 and IPv6, on port 7007.
ip netns exec "$ns_s" python3 - <<'EOF' >"$work/echo.log" 2>&1 &
import socket, threading
def tcp(family, address):
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6: server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    server.bind((address, 7007)); server.listen(8)
    while True:
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(65536): conn.sendall(data)
def udp(family, address):
    server = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6: server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    server.bind((address, 7007))
    while True:
        data, peer = server.recvfrom(65536); server.sendto(data, peer)
for f, a in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    threading.Thread(target=tcp, args=(f, a), daemon=True).start()
    threading.Thread(target=udp, args=(f, a), daemon=True).start()
threading.Event().wait()
EOF
pids+=($!)

ip netns exec "$ns_c" dumpcap -q -P -i hdr-c -s 0 -w "$work/capture.pcap" 2>"$work/dumpcap.log" &
dumper=$!
pids+=("$dumper")
for _ in $(seq 50); do [[ -s $work/capture.pcap ]] && break; sleep 0.1; done
[[ -s $work/capture.pcap ]] || die "dumpcap did not start: $(tail -n 2 "$work/dumpcap.log")"
sleep 1.5  # neighbour discovery and MLD settle first

# client.py ADDRESS [hop] [dst] [size=N] — one TCP and one UDP echo.
cat >"$work/client.py" <<'EOF'
import socket, sys
address, options = sys.argv[1], sys.argv[2:]
family = socket.AF_INET6 if ":" in address else socket.AF_INET
size = next((int(o[5:]) for o in options if o.startswith("size=")), 32)
payload = bytes(i % 251 for i in range(size))
pad = bytes([0, 0, 1, 4, 0, 0, 0, 0])  # next header, length 0, PadN(4)
def echo(kind):
    s = socket.socket(family, kind)
    s.settimeout(2)
    if "hop" in options: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, pad)
    if "dst" in options: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, pad)
    s.connect((address, 7007))
    s.sendall(payload)
    received = b""
    while len(received) < len(payload): received += s.recv(65536)
    s.close()
for kind in (socket.SOCK_DGRAM,) if "udp" in options else (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    try:
        echo(kind)
    except OSError as error:  # timeout, or an ICMP error reported back
        print("make-headers: echo", address, kind, error, file=sys.stderr)
EOF
client() { c python3 "$work/client.py" "$@"; }
for dst in 10.97.0.2 fd00:97:0::2; do client "$dst"; c ping -n -q -c 1 -W 1 "$dst" >/dev/null; done
c ping -n -q -c 1 -W 1 -R 10.97.0.2 >/dev/null
c ping -n -q -c 1 -W 1 -T tsonly 10.97.0.2 >/dev/null
c ping -n -q -c 1 -W 1 -s 3000 10.97.0.2 >/dev/null
c ping -n -q -c 1 -W 1 -s 3000 fd00:97:0::2 >/dev/null
c python3 -c '
import socket
for family, address in ((socket.AF_INET, "10.97.0.2"), (socket.AF_INET6, "fd00:97:0::2")):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.sendto(b"closed port", (address, 9))
'
client fd00:97:0::2 hop dst udp
client fd00:97:0::2 hop dst udp size=3000
c ping -n -q -c 1 -W 1 fd00:96:99::2 >/dev/null
client fd00:96:99::2 hop dst udp size=3000
for dst in 10.96.1.2 10.96.10.2 10.96.20.2 fd00:96:20::2 10.96.30.2 10.96.31.2 fd00:96:32::2; do
    c ping -n -q -c 1 -W 1 "$dst" >/dev/null || echo "make-headers: no echo reply from $dst" >&2
    client "$dst"
done
sleep 1
kill -INT "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$here/headers.pcap"
chmod 644 "$here/headers.pcap"
echo "wrote headers.pcap: $(stat -c %s "$here/headers.pcap") bytes"
write_oracles
