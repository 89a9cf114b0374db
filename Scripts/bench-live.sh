#!/usr/bin/env bash
# bench-live.sh — does live analysis keep up with capture? Side by side in
# one run, each workload captured twice by the same build: capture only
# (`capture -w /dev/null`) and capture + analysis (`watch --json`, the same
# inline analyzers the agent runs), rx on every port.
#
#   1. pcap replay at full rate: the pcap testbed replaying the bench-analyze
#      capture (HTTP, DNS, Redis, PostgreSQL; Scripts/bench-analyze.sh makes
#      it) or, without it, the bundled demo capture, in an endless loop.
#   2. wrk load: nginx and wrk in the tap testbed's namespaces, keep-alive
#      HTTP/1.1 through testpmd. Below saturation every wrk request must come
#      out as one matched transaction: "lost" is wrk's count minus ours.
#
#   3. paced replay, rate search (Scripts/lib/bench-paced.sh): a pacing
#      primary sends a recorded mix as new connections at a set rate; the
#      highest rate at which watch on one core loses nothing (no ring drop,
#      nothing shed, every transaction of every loop reported). The mix is
#      Scripts/bench-analyze.sh --per-protocol's mix.pcap (real servers);
#      PACED_FILE=FILE picks another Ethernet pcap. PACED_TOOLS="watch-null
#      watch agent" adds watch with its JSON to /dev/null (see bench-paced.sh).
#
# Under overload analysis sheds whole flows rather than slowing the capture
# (AnalysisAdmission); "packets analysed" is the share it kept, from
# watch --stats (analysis_shed_packets).
#
#   --export: the paced search (3.) for the agent twice, events to a file
#      only and with every export on as well (OTLP traces and logs,
#      remote-write every second, Kafka; into the cheap sinks of
#      Scripts/lib/export-sinks.sh), in finer steps (PACED_STEPS=5 from
#      62 500 packets/s, about 3 % apart): issue 19's rule is that exporting
#      costs the capture loop nothing measurable, the highest lossless rate
#      with every export on within 5 % of the file-only one.
#
# Usage: Scripts/bench-live.sh [SECONDS] [--paced-only|--export]   (root; default 10 s per run)
#        SCOPE_BIN=path measures that binary instead of building this checkout.
# Output: Markdown tables on stdout (paste into BENCHMARKS.md), raw lines
# on stderr. Targets: analysis keeps >= 70 % of the capture-only packet
# rate and loses no transaction below saturation (issue 7); >= 1 Mpps of
# the mix per worker core with nothing lost (issue 18).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/nginx.sh
source "$root/Scripts/lib/nginx.sh"
# shellcheck source=lib/bench-paced.sh
source "$root/Scripts/lib/bench-paced.sh"
# shellcheck source=lib/export-sinks.sh
source "$root/Scripts/lib/export-sinks.sh"
seconds=10 paced_only=0 export_mode=0
for arg; do
    case $arg in
    --paced-only) paced_only=1 ;;
    --export) paced_only=1 export_mode=1 ;;
    *) seconds=$arg ;;
    esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS] [--paced-only|--export]" >&2; exit 64; }
prefix=dpdkscope-bl
say() { echo "bench-live: $*" >&2; }
die() { say "$*"; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (testbed, namespaces, apt)"

work=$(mktemp -d /var/tmp/dpdkscope-bench-live.XXXXXX)
pids=()
teardown() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    "$root/Scripts/testbed.sh" stop --prefix "$prefix" >/dev/null 2>&1 || true
    paced_stop
}
trap 'teardown; rm -rf -- "$work"' EXIT

"$root/Scripts/setup.sh" >/dev/null
cd "$root"
if [[ -n ${SCOPE_BIN:-} ]]; then
    scope=$SCOPE_BIN
else
    swift build -c release --product dpdkscope >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; die "build failed"; }
    scope=$root/.build/release/dpdkscope
fi

rows=()
mix=${PACED_FILE:-/var/tmp/dpdkscope-bench-proto/mix.pcap}
no_mix="no $mix: make it with Scripts/bench-analyze.sh --per-protocol (or set PACED_FILE)"
if ((paced_only)); then
    [[ -s $mix ]] || die "$no_mix"
    if ((export_mode)); then
        sinks_start "$work"
        PACED_TOOLS="agent agent-export" PACED_START=${PACED_START:-62500} PACED_STEPS=${PACED_STEPS:-5} paced_search "$mix"
    else
        paced_search "$mix"
    fi
    exit 0
fi
# measure NAME MODE -> runs dpdkscope for $seconds (or until SIGINT from the
# caller's load), appends "packets seconds transactions drop%" to $work/last.
measure() {
    local mode=$1 out=$work/out.$1 err=$work/err.$1 packets tx drop shed=0
    if [[ $mode == capture ]]; then
        "$scope" capture --file-prefix "$prefix" -i 0 -i 1 --rx -w /dev/null -a "duration:$seconds" -q --json-summary \
            2>"$err" >"$out" || { cat "$err" >&2; die "capture failed"; }
        read -r packets drop < <(python3 - "$err" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
acc = sum(q["accepted"] for q in s["queues"]); lost = sum(q["nombuf"] + q["ringfull"] for q in s["queues"])
print(s["packets_written"], "%.2f" % (100.0 * lost / (acc + lost) if acc + lost else 0))
PY
)
        tx=0
    else
        "$scope" watch --file-prefix "$prefix" -i 0 -i 1 --json --stats -a "duration:$seconds" >"$out" 2>"$err" ||
            { cat "$err" >&2; die "watch failed"; }
        packets=$(sed -n 's/^Packets captured: \([0-9]*\).*/\1/p' "$err")
        tx=$(sed -n 's/^Transactions: \([0-9]*\).*/\1/p' "$err")
        shed=$(sed -n 's/^analysis_shed_packets=\([0-9]*\)$/\1/p' "$err")
        drop=$(python3 - "$err" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
pairs = re.findall(r"received/dropped on interface '[^']*': (\d+)/(\d+)", text)
acc = sum(int(r) for r, _ in pairs); lost = sum(int(d) for _, d in pairs)
print("%.2f" % (100.0 * lost / (acc + lost) if acc + lost else 0))
PY
)
    fi
    echo "$packets $tx $drop ${shed:-0}" >"$work/last"
    say "$mode: packets=$packets transactions=$tx drop%=$drop shed=${shed:-0}"
}

row() { # row WORKLOAD CAPTURE_PACKETS ANALYSIS_PACKETS TX DROP_CAPTURE DROP_ANALYSIS SHED [WRK LOST]
    local ratio analysed
    ratio=$(awk -v a="$3" -v c="$2" 'BEGIN { printf "%.0f", c ? 100 * a / c : 0 }')
    analysed=$(awk -v a="$3" -v s="$7" 'BEGIN { printf "%.0f", a ? 100 * (a - s) / a : 0 }')
    rows+=("| $1 | $(awk -v p="$2" -v s="$seconds" 'BEGIN { printf "%.0f", p / s }') | $5 | $(awk -v p="$3" -v s="$seconds" 'BEGIN { printf "%.0f", p / s }') | $6 | $ratio % | $analysed % | $(awk -v t="$4" -v s="$seconds" 'BEGIN { printf "%.0f", t / s }') | ${8:-n/a} | ${9:-n/a} |")
}

# 1. Replay at full rate.
# net_pcap preloads the whole file into mbufs: the first 40 000 packets of
# the mix fit the testbed's memory.
replay=$root/Scripts/data/demo.pcap
if [[ -s /var/tmp/dpdkscope-bench-analyze.pcapng ]]; then
    replay=/var/tmp/dpdkscope-bench-live-mix.pcap
    [[ -s $replay ]] || editcap -F pcap -r /var/tmp/dpdkscope-bench-analyze.pcapng "$replay" 1-40000
fi
say "replaying $replay at full rate"
"$root/Scripts/testbed.sh" start --shape pcap --prefix "$prefix" --pcap "$replay" --mem 512 >/dev/null
measure capture; read -r cp _ cd _ <"$work/last"
measure watch; read -r ap at ad as <"$work/last"
row "pcap replay, full rate ($(capinfos -c -M "$replay" | awk '/Number of packets/ { print $NF }') packets looped)" "$cp" "$ap" "$at" "$cd" "$ad" "$as"
teardown

# 2. wrk through the tap testbed.
info=$("$root/Scripts/testbed.sh" start --shape tap --prefix "$prefix")
kv() { sed -n "s/^$1=//p" <<<"$info"; }
a=$(kv netns-a) b=$(kv netns-b) ipb=$(kv ip-b)
nginx_start "$b" "$work" "$ipb:8080"
ip netns exec "$a" curl -sf -o /dev/null --retry 4 --retry-connrefused "http://$ipb:8080/" || die "nginx does not answer"
load() { # wrk for the middle of the measurement window, so every request is seen whole
    sleep 1
    ip netns exec "$a" wrk -t1 -c16 -d "$((seconds - 3))s" "http://$ipb:8080/" >"$work/wrk.$1"
}
load capture & lp=$!; measure capture; wait "$lp"; read -r cp _ cd _ <"$work/last"
load watch & lp=$!; measure watch; wait "$lp"; read -r ap at ad as <"$work/last"
requests=$(awk '/requests in/ { print $1 }' "$work/wrk.watch")
matched=$(grep -c '"type":"http".*"status":"OK"\|"status":"OK".*"type":"http"' "$work/out.watch" || true)
# wrk counts what completed within its duration; the one request per
# connection still in flight then is answered (and seen) after: not lost.
lost=$((requests > matched ? requests - matched : 0))
row "wrk keep-alive HTTP through the tap testbed" "$cp" "$ap" "$at" "$cd" "$ad" "$as" "$requests" "$lost"

echo "| workload | capture only pkt/s | drop % | capture + analysis pkt/s | drop % | analysis / capture | packets analysed | transactions/s | wrk requests | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"

# 3. Paced replay, new connections, rate search.
teardown
[[ -s $mix ]] || { say "$no_mix; skipping the paced replay"; exit 0; }
PACED_SECONDS=$((seconds / 2 > 2 ? seconds / 2 : 2)) paced_search "$mix"
