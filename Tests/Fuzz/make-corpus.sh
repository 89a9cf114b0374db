#!/usr/bin/env bash
# make-corpus.sh [PCAP...] — rebuild the fuzz seed corpus Tests/Fuzz/corpus/
# from real captures (default: Scripts/data/demo.pcap and
# Tests/Fuzz/captures/extra.pcap, see capture-extra.sh).
#
# Writes inputs in the DecodeFuzz.swift format: one link-type byte (0 =
# Ethernet, 1 = raw IP, 2... the other ScopeDecode.LinkType cases), then per packet a u16 big-endian length, a u8 time
# step (< 128: milliseconds, >= 128: 128 + seconds) and the packet bytes.
# Time steps come from the capture's own timestamps. Seeds per capture:
#   all-N      the capture in order, cut into inputs of at most 60 kB
#   conv-...   each conversation (TCP/UDP/ICMP/fragment train) on its own
#   mix-...    TCP conversations replayed with real packets reordered inside
#              small windows, one packet dropped, or one duplicated
#   raw-...    a few conversations with the Ethernet header removed
#   interleaved  the two biggest TCP conversations merged packet by packet
#   linktype-... (decode corpus only) each link-type fixture
#              (Tests/Fixtures/captures/linktypes/*.pcap) whole, in its link type
# Deterministic: the same captures give the same files.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
if [[ $# -eq 0 ]]; then
    set -- "$root/Scripts/data/demo.pcap"
    [[ -f $here/captures/extra.pcap ]] && set -- "$@" "$here/captures/extra.pcap"
fi
corpus=${CORPUS_DIR:-$here/corpus}  # make-analyze-corpus.sh points it elsewhere
rm -rf "$corpus"
mkdir -p "$corpus"
# Link-type seeds only for the decode corpus (the analyze fuzzer reads byte 0 its own way).
linktypes=
[[ -z ${CORPUS_DIR:-} ]] && linktypes=$root/Tests/Fixtures/captures/linktypes
LINKTYPES_DIR=$linktypes python3 - "$corpus" "$@" <<'EOF'
import os, random, struct, sys

out, pcaps = sys.argv[1], sys.argv[2:]
LIMIT = 60_000        # bytes per "all" input (libFuzzer -max_len is 65536)
CONVERSATION = 20_000  # bytes per conversation seed: small inputs fuzz faster

def read_pcap(path, any_link=False):
    data = open(path, "rb").read()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(order + "I", data[20:24])[0]
    assert linktype == 1 or any_link, f"{path}: only Ethernet captures (linktype {linktype})"
    packets, offset = [], 24
    while offset + 16 <= len(data):
        sec, sub, incl, _ = struct.unpack(order + "IIII", data[offset:offset + 16])
        packets.append((sec * 10**9 + sub * (1 if nano else 1000), data[offset + 16:offset + 16 + incl]))
        offset += 16 + incl
    return packets

def conversation(frame):
    """A key shared by both directions of a conversation, or None."""
    offset, ethertype = 14, struct.unpack(">H", frame[12:14])[0]
    while ethertype in (0x8100, 0x88A8) and len(frame) >= offset + 4:
        ethertype, offset = struct.unpack(">H", frame[offset + 2:offset + 4])[0], offset + 4
    ip = frame[offset:]
    if ethertype == 0x0800 and len(ip) >= 20:
        header, proto, src, dst = (ip[0] & 15) * 4, ip[9], ip[12:16], ip[16:20]
        if struct.unpack(">H", ip[6:8])[0] & 0x3FFF:  # a fragment: group by datagram id
            return ("frag4", ip[4:6]) + tuple(sorted((src, dst)))
    elif ethertype == 0x86DD and len(ip) >= 40:
        header, proto, src, dst = 40, ip[6], ip[8:24], ip[24:40]
        if proto == 44:
            return ("frag6", ip[44:48]) + tuple(sorted((src, dst)))
    else:
        return ("other", ethertype)
    ports = ip[header:header + 4] if proto in (6, 17) else b""
    ends = sorted(((src, ports[:2]), (dst, ports[2:])))
    return (proto,) + tuple(ends)

def encode(packets, raw=False, link=None):
    body, previous = bytearray([link if link is not None else 1 if raw else 0]), packets[0][0] if packets else 0
    for time, frame in packets:
        frame = frame[14:] if raw else frame
        millis = max(0, time - previous) // 10**6
        step = millis if millis < 128 else 128 + min(127, millis // 1000)
        previous = time
        body += struct.pack(">HB", len(frame), step) + frame
    return bytes(body)

def write(name, packets, raw=False, link=None):
    blob = encode(packets, raw, link)
    if len(packets) and len(blob) <= 65_536:
        open(os.path.join(out, name), "wb").write(blob)

for pcap in pcaps:
    stem = os.path.splitext(os.path.basename(pcap))[0]
    packets = read_pcap(pcap)
    chunk, size, part = [], 0, 0
    for packet in packets:
        if chunk and size + len(packet[1]) + 3 > LIMIT:
            write(f"{stem}-all-{part}", chunk)
            chunk, size, part = [], 0, part + 1
        chunk.append(packet)
        size += len(packet[1]) + 3
    write(f"{stem}-all-{part}", chunk)

    groups = {}
    for packet in packets:
        key = conversation(packet[1])
        if key is not None:
            groups.setdefault(key, []).append(packet)
    rng = random.Random(stem)
    for number, (key, group) in enumerate(groups.items()):
        label = str(key[0])
        while sum(len(p[1]) + 3 for p in group) > CONVERSATION:  # long downloads: keep the start
            group = group[:-1]
        write(f"{stem}-conv-{number:02d}-{label}", group)
        if key[0] == 6 and len(group) > 4:
            for variant in range(3):
                mixed = list(group)
                for start in range(0, len(mixed), 4):
                    window = mixed[start:start + 4]
                    rng.shuffle(window)
                    mixed[start:start + 4] = window
                if variant == 1:
                    del mixed[rng.randrange(len(mixed))]
                if variant == 2:
                    mixed.insert(rng.randrange(len(mixed)), rng.choice(group))
                write(f"{stem}-mix-{number:02d}-{variant}", mixed)
        if number % 3 == 0:
            write(f"{stem}-raw-{number:02d}-{label}", group, raw=True)

    # The two biggest TCP conversations interleaved packet by packet, so that
    # both hold out-of-order data at once (global reorder-buffer eviction).
    tcp = sorted((g for k, g in groups.items() if k[0] == 6), key=lambda g: -sum(len(p[1]) for p in g))
    if len(tcp) >= 2:
        halves = [[], []]
        for side in (0, 1):
            for packet in tcp[side]:
                if sum(len(p[1]) + 3 for p in halves[side]) + len(packet[1]) + 3 > LIMIT // 2:
                    break
                halves[side].append(packet)
        merged = [p for pair in zip(*halves) for p in pair]
        write(f"{stem}-interleaved", merged)

# pcap link type -> DecodeFuzz's link byte (the raw value of ScopeDecode.LinkType).
LINK_BYTES = {1: 0, 101: 1, 228: 2, 229: 3, 113: 4, 276: 5, 0: 6, 108: 7, 9: 8, 51: 9, 104: 10}
directory = os.environ.get("LINKTYPES_DIR")
for name in sorted(os.listdir(directory)) if directory else []:
    if name.endswith(".pcap"):
        data = open(os.path.join(directory, name), "rb").read()
        order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        link = LINK_BYTES[struct.unpack(order + "I", data[20:24])[0]]
        write(f"linktype-{name[:-5]}", read_pcap(os.path.join(directory, name), any_link=True), link=link)
EOF
count=$(find "$corpus" -type f | wc -l)
bytes=$(du -sb "$corpus" | cut -f1)
echo "make-corpus: $count files, $bytes bytes in $corpus"
