#!/usr/bin/env bash
# demo.sh — dpdkscope against a bundled default: installs what it needs,
# starts Debian's dpdk-testpmd replaying Scripts/data/demo.pcap (a real
# capture of HTTP, DNS, ping, TLS, HTTP/2 and gRPC traffic; recipe:
# Scripts/data/make-demo-pcap.sh) in a loop, then attaches dpdkscope
# to it as a secondary: capture, stats, and a few seconds of live
# transactions. --keep leaves the testbed running afterwards
# (stop it with: Scripts/testbed.sh stop --prefix dpdkscope-demo).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
prefix=dpdkscope-demo
keep=0
[[ ${1:-} == --keep ]] && keep=1

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi

# DPDKSCOPE_SCRATCH: SwiftPM's scratch path (default .build); the Debian 13
# check runs this script in Scripts/trixie.sh's root with .build-trixie.
scratch_path=${DPDKSCOPE_SCRATCH:-.build}
Scripts/setup.sh
echo "demo: building dpdkscope (release)" >&2
swift build -c release --scratch-path "$scratch_path" --product dpdkscope 2>&1 | tail -n 1 >&2
bin=$root/$scratch_path/release/dpdkscope

Scripts/testbed.sh start --shape pcap --prefix "$prefix" >/dev/null
((keep)) || trap 'Scripts/testbed.sh stop --prefix "$prefix"' EXIT

run() { echo; echo "\$ dpdkscope $*"; "$bin" "$@"; }
run list --file-prefix "$prefix"
run probe --file-prefix "$prefix" --duration 1
out=$(mktemp /tmp/dpdkscope-demo.XXXXXX.pcapng)
run capture --file-prefix "$prefix" -i net_pcap0 --rx -f 'tcp port 80 or udp port 53' -c 200 -w "$out"
echo; echo "\$ tshark -r $out  (HTTP requests and DNS queries in the capture)"
tshark -r "$out" -Y 'http.request or dns.flags.response == 0' 2>/dev/null | head -n 12
run stats --file-prefix "$prefix" --queues
rm -f "$out"
# The analysis half: a few seconds of live transactions, one line each. The
# testbed replays the file in a loop at full rate, so only the first lines
# are shown (the rest would scroll by).
lines=$(mktemp /tmp/dpdkscope-demo.XXXXXX.txt)
echo; echo "\$ dpdkscope watch --file-prefix $prefix --lines -q -a duration:3  (first 24 transactions: about one pass over the file)"
"$bin" watch --file-prefix "$prefix" --lines -q -a duration:3 >"$lines"
head -n 24 "$lines"
echo "... $(wc -l <"$lines") transactions in 3 seconds"
rm -f "$lines"
((keep)) && echo && echo "demo: testbed left running with --file-prefix $prefix"
exit 0
