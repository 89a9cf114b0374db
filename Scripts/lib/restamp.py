#!/usr/bin/env python3
"""restamp.py SRC DST RATE: a classic pcap's packets re-stamped i / RATE
seconds apart (from 1,700,000,000 s), as the pacing primary
(Tests/Fixtures/pacing-primary.c) sends them at RATE packets per second.
`read --analyze` on the result finds the transactions one paced loop
holds: a rate below the file's own stretches its time and can time out
what the file answers (and a rate above compresses it). Prints the
number of packets. Used by Scripts/lib/bench-paced.sh and the live exactness tests."""
import struct
import sys

src, dst, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
magic = data[:4]
order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
scale = 1_000_000_000 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1_000_000
out = bytearray(data[:24])
at = 24
i = 0
while at + 16 <= len(data):
    caplen = struct.unpack_from(order + "I", data, at + 8)[0]
    stamp = 1_700_000_000 * scale + i * scale // max(rate, 1)
    out += struct.pack(order + "II", stamp // scale, stamp % scale) + data[at + 8:at + 16 + caplen]
    at += 16 + caplen
    i += 1
open(dst, "wb").write(out)
print(i)
