#!/usr/bin/env bash
# make-read-text.sh [DPDKSCOPE] — re-records the expected `dpdkscope read`
# text lines checked by Tests/ScopePcapTests/ReadTextOutputTests.swift:
# headers.pcap, extra.pcap, and headers.pcap cut to 10, 40 and 60 bytes per
# packet by editcap -s (non-IP, truncated IPv4/IPv6 and Ethernet lines).
# Only after a deliberate change of the line format. Needs editcap.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${1:-$root/.build/debug/dpdkscope}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC
"$bin" read "$root/Tests/Fixtures/captures/headers.pcap" >"$here/headers.txt"
"$bin" read "$root/Tests/Fuzz/captures/extra.pcap" >"$here/extra.txt"
for snap in 10 40 60; do
    editcap -s "$snap" "$root/Tests/Fixtures/captures/headers.pcap" "$work/snap.pcap"
    "$bin" read "$work/snap.pcap" >"$here/headers-snap$snap.txt"
done
wc -l "$here"/*.txt
