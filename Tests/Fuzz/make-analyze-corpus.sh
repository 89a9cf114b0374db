#!/usr/bin/env bash
# make-analyze-corpus.sh — rebuild the analyzers' fuzz seed corpus
# Tests/Fuzz/analyze-corpus/ from the real captures the analyzer oracle
# tests use (Tests/Fixtures/captures/*.pcap; see the make-*.sh recipes there).
#
# Two kinds of seeds, matching AnalyzeFuzz.swift's two input formats:
#   packet seeds   make-corpus.sh's seeds of each capture (byte 0 bit 7 clear)
#   stream-...     one TCP connection's payloads as client/server records for
#                  the protocol the capture holds (byte 0 = 0x80 | its index
#                  among the TCP protocols in registry order, read from
#                  Sources/ScopeAnalyzers: ProtocolRegistry.swift's list and
#                  each definition's name and transports), at most 8 kB
#                  each, up to 24 connections per capture
# Needs python3 and tshark. Deterministic.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
captures=$(cd "$here/../Fixtures/captures" && pwd)
corpus=$here/analyze-corpus
analyzers=$here/../../Sources/ScopeAnalyzers
# The TCP protocols in registry order: what AnalyzeFuzz.swift indexes.
stream_protocols=$(python3 - "$analyzers" <<'PY'
import glob, re, sys
root = sys.argv[1]
registry = open(f"{root}/Core/ProtocolRegistry.swift").read()
listed = re.search(r"definitions: \[ProtocolDefinition\] = \[(.*?)\]", registry, re.S).group(1)
order = re.findall(r"(\w+)\.definition", listed)
names = []
for type_name in order:
    source = "".join(open(f).read() for f in glob.glob(f"{root}/*/{type_name}.swift"))
    found = re.search(r'name: "([^"]+)".*?transports: (\[[^\]]*\]|\.\w+)', source, re.S)
    if not found:
        sys.exit(f"make-analyze-corpus: no name/transports in {type_name}.swift")
    if ".tcp" in found.group(2):
        names.append(found.group(1))
print(" ".join(names))
PY
)
CORPUS_DIR=$corpus "$here/make-corpus.sh" "$captures"/*.pcap >/dev/null
for pcap in "$captures"/*.pcap; do
    name=$(basename "$pcap" .pcap)
    tshark -r "$pcap" -Y 'tcp.len > 0' -T fields -e tcp.stream -e tcp.srcport -e tcp.dstport \
        -e frame.time_epoch -e tcp.payload 2>/dev/null >"$corpus/.rows" || true
    python3 - "$corpus" "$name" "$corpus/.rows" "$stream_protocols" <<'PY'
import os, sys
out, name, rows, protocols = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
if name not in protocols:
    sys.exit(0)
index = protocols.index(name)
streams = {}
for line in open(rows):
    parts = line.rstrip("\n").split("\t")
    if len(parts) < 5 or not parts[4]:
        continue
    stream, sport, dport, when, payload = parts[0], int(parts[1]), int(parts[2]), float(parts[3]), parts[4]
    streams.setdefault(stream, []).append((sport, dport, when, bytes.fromhex(payload.replace(":", ""))))
for number, (stream, segments) in enumerate(sorted(streams.items(), key=lambda kv: int(kv[0]))):
    if number >= 24:
        break
    first = segments[0]
    server = min(first[0], first[1])  # servers listen on the lower port in every recipe
    blob, last = bytearray([0x80 | index]), first[2]
    for sport, dport, when, data in segments:
        step_ms = int(max(0.0, when - last) * 1000)
        last = when
        step = step_ms if step_ms < 128 else min(255, 128 + step_ms // 1000)
        record = bytes([0 if dport == server else 1]) + len(data).to_bytes(2, "big") + bytes([step]) + data
        if len(blob) + len(record) > 8192:
            break
        blob += record
    open(os.path.join(out, f"stream-{name}-{number:02d}"), "wb").write(blob)
PY
done
rm -f "$corpus/.rows"
echo "make-analyze-corpus: $(find "$corpus" -type f | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes in $corpus"
