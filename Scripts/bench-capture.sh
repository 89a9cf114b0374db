#!/usr/bin/env bash
# bench-capture.sh — capture throughput, side by side, in one run:
# dpdkscope capture vs dpdk-dumpcap vs a drain-only baseline (dpdkscope
# probe: dequeue and free, nothing written), all against the same full-rate
# net_null primary, 64-byte packets.
#
# dumpcap gets zero packets from Debian's testpmd (mempool ops order, DPDK
# bug 1073), so the primary here is Tests/Fixtures/mini-primary.c: the
# smallest pdump-serving forwarder, which both tools can attach to.
#
# Usage: Scripts/bench-capture.sh [SECONDS] [PRIMARY_CORE] [ROUNDS]   (root)
# Against DPDK 24.11 (Debian 13), from the root Scripts/trixie.sh builds:
#   Scripts/trixie.sh run env DPDKSCOPE_SCRATCH=.build-trixie Scripts/bench-capture.sh ...
# (DPDKSCOPE_SCRATCH: SwiftPM's scratch path; trixie.sh installed what the
# root needs, so setup.sh, which speaks Debian 12, is skipped there.)
# ROUNDS (default 1) repeats the five runs, interleaved, so drift in the
# machine hits every tool alike; the table then gives medians, and each
# ratio as the median of the per-round ratios with its range.
# Output: a Markdown table on stdout (paste into BENCHMARKS.md), raw lines
# on stderr. Files go to /var/tmp (ext4 page cache, ~3.4 GB/s here; this
# VM's tmpfs manages only ~0.4 GB/s and would measure the kernel instead).
# Each run gets a fresh primary: dpdk-dumpcap frees its pool right after
# disabling, and a callback still in flight can take the primary down.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-5}
core=${2:-1}
rounds=${3:-1}
[[ $seconds =~ ^[1-9][0-9]*$ && $core =~ ^[0-9]+$ && $rounds =~ ^[1-9][0-9]*$ ]] ||
    { echo "usage: $0 [SECONDS] [PRIMARY_CORE] [ROUNDS]" >&2; exit 64; }
prefix=dpdkscope-bench
work=$(mktemp -d /var/tmp/dpdkscope-bench.XXXXXX)
scratch=$work

stop_primary() {
    pkill -f -- "--file-prefix $prefix" 2>/dev/null || true
    for _ in $(seq 50); do pgrep -f -- "--file-prefix $prefix" >/dev/null || break; sleep 0.1; done
    rm -rf /dev/hugepages/${prefix}map_* "/var/run/dpdk/$prefix"
}
cleanup() {
    stop_primary
    rm -rf "$work"
}
trap cleanup EXIT

scratch_path=${DPDKSCOPE_SCRATCH:-.build}
grep -q '^VERSION_CODENAME=bookworm' /etc/os-release && "$root/Scripts/setup.sh" >/dev/null
cd "$root"
swift build -c release --scratch-path "$scratch_path" --product dpdkscope >/dev/null
scope=$root/$scratch_path/release/dpdkscope
say_release() { echo "DPDK $(pkg-config --modversion libdpdk), $(dpdk-dumpcap --version 2>/dev/null | head -n 1)" >&2; }
say_release

gcc -O2 -fPIC -o "$work/mini-primary" Tests/Fixtures/mini-primary.c \
    -I/usr/include/dpdk -I/usr/include/x86_64-linux-gnu/dpdk -include rte_config.h \
    -march=corei7 -DALLOW_EXPERIMENTAL_API -lrte_pdump -lrte_ethdev -lrte_mbuf -lrte_mempool -lrte_eal
start_primary() {
    stop_primary
    "$work/mini-primary" -l "$core" --no-pci --no-telemetry -m 512 --file-prefix "$prefix" --vdev net_null0 \
        >"$work/primary.log" 2>&1 &
    for _ in $(seq 50); do grep -q forwarding "$work/primary.log" 2>/dev/null && break; sleep 0.2; done
    grep -q forwarding "$work/primary.log" || { cat "$work/primary.log" >&2; exit 1; }
    sleep 1
}

# record KEY NAME PACKETS SECONDS RECEIVED DROPPED (KEY names the run kind)
record() {
    local pps drop
    pps=$(awk -v p="$3" -v s="$4" 'BEGIN { printf "%.0f", p / s }')
    drop=$(awk -v r="$5" -v d="$6" 'BEGIN { if (r + d > 0) printf "%.1f", 100 * d / (r + d); else print "nan" }')
    echo "round $round $2: packets=$3 seconds=$4 received=$5 dropped=$6 pps=$pps drop%=$drop" >&2
    echo "$round|$1|$pps|$drop" >>"$work/rows"
}

scope_run() { # scope_run KEY NAME OUTPUT
    local key=$1; shift
    local summary name packets secs received dropped
    start_primary
    summary=$("$scope" capture --file-prefix "$prefix" -i net_null0 -a "duration:$seconds" -w "$2" -q --json-summary 2>&1 | tail -n 1)
    python3 - "$1" "$summary" <<'PY' >>"$work/scope.rows"
import json, sys
s = json.loads(sys.argv[2])
acc = sum(q["accepted"] for q in s["queues"]); drop = sum(q["nombuf"] + q["ringfull"] for q in s["queues"])
print(s["packets_written"], s["seconds"], acc - drop, drop)
PY
    read -r packets secs received dropped < <(tail -n 1 "$work/scope.rows")
    record "$key" "$1" "$packets" "$secs" "$received" "$dropped"
    if [[ -f $2 ]]; then rm -f "$2"; fi
}

dumpcap_run() { # dumpcap_run KEY NAME OUTPUT
    local key=$1; shift
    local out start end packets line received dropped
    start_primary
    start=$(date +%s.%N)
    out=$(dpdk-dumpcap --file-prefix "$prefix" -i net_null0 -a "duration:$seconds" -w "$2" -q 2>&1 || true)
    end=$(date +%s.%N)
    packets=0
    if [[ -f $2 ]]; then
        packets=$(capinfos -c -M "$2" 2>/dev/null | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
    fi
    line=$(grep -o "received/dropped on interface '[^']*': [0-9]*/[0-9]*" <<<"$out" | tail -n 1)
    received=$(sed -E 's#.*: ([0-9]+)/([0-9]+)#\1#' <<<"$line")
    dropped=$(sed -E 's#.*: ([0-9]+)/([0-9]+)#\2#' <<<"$line")
    # dumpcap's "received" counts every copy, including the ones it lost.
    if [[ $2 == /dev/null ]]; then packets=$((received - dropped)); fi
    received=$((received - dropped))
    record "$key" "$1" "${packets:-0}" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "${received:-0}" "${dropped:-0}"
    if [[ -f $2 ]]; then rm -f "$2"; fi
}

for round in $(seq "$rounds"); do
    start_primary
    probe=$("$scope" probe --file-prefix "$prefix" -i net_null0 --duration "$seconds" --json)
    read -r pk sec rec dr < <(python3 -c '
import json, sys
s = json.loads(sys.argv[1]); c = s["counters"]["net_null0"]
print(s["dequeued"], s["seconds"], c["accepted"] - c["ringfull"] - c["nombuf"], c["ringfull"] + c["nombuf"])' "$probe")
    record drain "drain-only baseline" "$pk" "$sec" "$rec" "$dr"
    scope_run scope_file "dpdkscope → pcapng file" "$scratch/scope.pcapng"
    dumpcap_run dumpcap_file "dpdk-dumpcap → pcapng file" "$scratch/dumpcap.pcapng"
    scope_run scope_null "dpdkscope → /dev/null" /dev/null
    dumpcap_run dumpcap_null "dpdk-dumpcap → /dev/null" /dev/null
done

python3 - "$work/rows" "$rounds" <<'PY'
import statistics, sys
rows = [line.strip().split("|") for line in open(sys.argv[1]) if line.strip()]
rounds = int(sys.argv[2])
pps = {}; drop = {}
for rnd, key, rate, dropped in rows:
    pps.setdefault(key, {})[rnd] = float(rate)
    drop.setdefault(key, []).append(float(dropped) if dropped != "nan" else float("nan"))
def ratio(a, b):
    values = [pps[a][r] / pps[b][r] for r in pps[a] if r in pps.get(b, {}) and pps[b][r] > 0]
    if not values: return ""
    text = f"{statistics.median(values):.2f}"
    return text + (f" ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else "")
names = [("drain", "drain-only baseline (dequeue + free)", None), ("scope_file", "dpdkscope → pcapng file", "dumpcap_file"),
         ("dumpcap_file", "dpdk-dumpcap → pcapng file", None), ("scope_null", "dpdkscope → /dev/null", "dumpcap_null"),
         ("dumpcap_null", "dpdk-dumpcap → /dev/null", None)]
median_of = "median of " + str(rounds) + " rounds" if rounds > 1 else "one round"
print(f"| run ({median_of}) | packets/s written | drop % | vs drain-only | vs dumpcap (same output) |")
print("|---|---:|---:|---:|---:|")
for key, name, other in names:
    if key not in pps: continue
    vs_dumpcap = ratio(key, other) + "×" if other else ""
    print(f"| {name} | {statistics.median(pps[key].values()):.0f} | {statistics.median(drop[key]):.1f} | {ratio(key, 'drain')} | {vs_dumpcap} |")
PY
