#!/usr/bin/env bash
# bench-multi.sh — capture --multi throughput against the worker count, on a
# multi-queue net_null primary (Debian's testpmd), writing to /dev/null so the
# capture path itself is measured.
#
# Usage: Scripts/bench-multi.sh [SECONDS] [WORKER_CPUS] [PRIMARY_CORES] [QUEUES]
#   WORKER_CPUS   CPUs for dpdkscope's workers, e.g. "2-9" (default "0")
#   PRIMARY_CORES EAL -l for testpmd (default "0-1": main 0, forwarding 1)
#   QUEUES        rx/tx queues per port (default 4)
# With N worker CPUs the script runs 1, 2, 4 … up to N workers (and 2 lcores
# sharing one CPU when N = 1, which is all a 2-core machine allows). It runs
# unchanged on a bigger machine. Output: Markdown table on stdout.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-3}
cpus=${2:-0}
primary_cores=${3:-0-1}
queues=${4:-4}
prefix=dpdkscope-bench-multi

expand() { # "0-2,5" -> "0 1 2 5"
    local part out=()
    IFS=, read -ra parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then out+=($(seq "${part%-*}" "${part#*-}")); else out+=("$part"); fi
    done
    echo "${out[@]}"
}

"$root/Scripts/setup.sh" >/dev/null
cd "$root"
swift build -c release --product dpdkscope >/dev/null
scope=$root/.build/release/dpdkscope
trap 'Scripts/testbed.sh stop --prefix "$prefix" >/dev/null 2>&1 || true' EXIT
Scripts/testbed.sh start --shape null --prefix "$prefix" --cores "$primary_cores" --rxq "$queues" --txq "$queues" >/dev/null

read -ra worker_cpus <<<"$(expand "$cpus")"
counts=()
for ((n = 1; n <= ${#worker_cpus[@]}; n *= 2)); do counts+=("$n"); done
((${#worker_cpus[@]} == 1)) && counts+=(2)

echo "| workers | lcores | packets/s written | per worker | drop % | copies/s by the primary |"
echo "|---:|---|---:|---:|---:|---:|"
for n in "${counts[@]}"; do
    # Main lcore 100 on the first CPU, workers 101.. round-robin on the list.
    lcores="100@${worker_cpus[0]}"
    for ((i = 0; i < n; i++)); do lcores+=",$((101 + i))@${worker_cpus[i % ${#worker_cpus[@]}]}"; done
    summary=$("$scope" capture --file-prefix "$prefix" --multi --lcores "$lcores" -i 0 -i 1 -a "duration:$seconds" \
        -w /dev/null -q --json-summary 2>&1 | tail -n 1)
    python3 - "$n" "$lcores" "$summary" <<'PY'
import json, sys
n, lcores, s = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
acc = sum(q["accepted"] for q in s["queues"]); drop = sum(q["nombuf"] + q["ringfull"] for q in s["queues"])
pps = s["packets_written"] / s["seconds"]
print(f"| {n} | `{lcores}` | {pps:,.0f} | {pps / n:,.0f} | {100 * drop / max(acc, 1):.1f} | {acc / s['seconds']:,.0f} |")
PY
done
