#!/usr/bin/env bash
# bench-ab.sh — before/after for `read`, in one run: the release build of a
# base revision against the release build of this checkout, interleaved
# rounds on the same capture, CPU seconds (user + sys) per run, medians and
# the after/before ratio. It also checks that both print the same bytes.
#
# For changes that must not cost speed (refactors) and for speed work.
# The capture defaults to bench-analyze.sh's recorded file (run that once
# first); any pcap or pcapng works.
#
# Usage: Scripts/bench-ab.sh BASE_REV [ROUNDS] [CAPTURE]
#        (BASE_REV: a commit, e.g. origin/main or HEAD~3; ROUNDS default 5)
# Output: a Markdown table on stdout, raw timings on stderr. The base is
# built in .build-ab/ (a git worktree, ignored), reused when it exists;
# BASE_BIN=path uses a base binary built elsewhere instead.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base_rev=${1:?usage: $0 BASE_REV [ROUNDS] [CAPTURE]}
rounds=${2:-5}
capture=${3:-/var/tmp/dpdkscope-bench-analyze.pcapng}
say() { echo "bench-ab: $*" >&2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { say "ROUNDS must be a positive number"; exit 64; }
[[ -r $capture ]] || { say "no capture at $capture (run Scripts/bench-analyze.sh once, or give one)"; exit 1; }
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

cd "$root"
commit=$(git rev-parse --verify "$base_rev^{commit}")
base=${BASE_BIN:-$root/.build-ab/scratch/release/dpdkscope}
if [[ -z ${BASE_BIN:-} ]]; then
    tree=$root/.build-ab/tree
    if [[ ! -d $tree ]]; then
        git worktree add --detach "$tree" "$commit" >/dev/null
    else
        git -C "$tree" checkout -q --detach "$commit"
    fi
    say "building base ${commit:0:10} (release)"
    (cd "$tree" && swift build -c release --product dpdkscope --scratch-path "$root/.build-ab/scratch" >/dev/null)
fi
say "building this checkout (release)"
swift build -c release --product dpdkscope >/dev/null
after=$root/.build/release/dpdkscope

spec='http:8080;dns;redis;pgsql'
runs=("read --proto MIX --json --no-output-thread" "read --proto http:8080 --json --no-output-thread"
      "read (packet lines)" "read --flows --json")
args() {
    case $1 in
    0) echo "--proto $spec --ports-only --json --no-output-thread" ;;
    1) echo "--proto http:8080 --ports-only --json --no-output-thread" ;;
    2) echo "" ;;
    3) echo "--flows --json" ;;
    esac
}
cpu() { # binary, run index -> CPU seconds (perf's task-clock when there is perf: ms, not 10 ms, resolution)
    local t
    if command -v perf >/dev/null; then
        # shellcheck disable=SC2046
        t=$(perf stat -x, -e task-clock "$1" read "$capture" $(args "$2") 2>&1 >/dev/null | awk -F, '/task-clock/ { print $1 }' | tail -n 1)
        awk '{ printf "%.4f", $1 / 1000 }' <<<"$t"
        return
    fi
    # shellcheck disable=SC2046
    t=$( { /usr/bin/time -f "%U %S" "$1" read "$capture" $(args "$2") >/dev/null; } 2>&1 | tail -n 1)
    awk '{ printf "%.3f", $1 + $2 }' <<<"$t"
}

for i in "${!runs[@]}"; do
    # shellcheck disable=SC2046
    if [[ $i != 3 ]] && ! cmp -s <("$base" read "$capture" $(args "$i")) <("$after" read "$capture" $(args "$i")); then
        say "outputs differ: ${runs[$i]}"
    fi
done

declare -A times
for round in $(seq "$rounds"); do
    for i in "${!runs[@]}"; do
        for side in base after; do
            bin=$base; [[ $side == after ]] && bin=$after
            t=$(cpu "$bin" "$i")
            times[$side,$i]+="$t "
            say "round $round: $side ${runs[$i]}: ${t}s"
        done
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| run (CPU s, median of $rounds) | base ${commit:0:10} | after | after / base |"
echo "|---|---:|---:|---:|"
for i in "${!runs[@]}"; do
    b=$(median <<<"${times[base,$i]}")
    a=$(median <<<"${times[after,$i]}")
    awk -v n="${runs[$i]}" -v b="$b" -v a="$a" 'BEGIN { printf "| `%s` | %.4f | %.4f | %.3f |\n", n, b, a, (b > 0 ? a / b : 0) }'
done
