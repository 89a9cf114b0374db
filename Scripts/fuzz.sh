#!/usr/bin/env bash
# fuzz.sh [SECONDS] [JOBS] — build and run the ScopeDecode libFuzzer target.
#
# Builds Tests/Fuzz/DecodeFuzz.swift together with Sources/ScopeDecode/*.swift
# (one module, no SwiftPM) with libFuzzer and AddressSanitizer, then fuzzes
# for SECONDS (default 60) with JOBS parallel jobs (default 1), starting from
# the checked-in seed corpus Tests/Fuzz/corpus/. Everything it writes is
# under .build-fuzz/ (git-ignored):
#   decode-fuzz      the fuzzer binary
#   corpus/          working corpus: seeds plus what the fuzzer found; kept
#                    between runs so coverage accumulates (delete to restart)
#   crashes/         crash-*, leak-*, timeout-*, oom-* reproducers
#   fuzz.log         the fuzzer's output
# Reproduce a crash:  .build-fuzz/decode-fuzz .build-fuzz/crashes/crash-...
# The fuzzer runs under nice (FUZZ_NICE, default 10): builds come first.
set -euo pipefail

seconds=${1:-60}
jobs=${2:-1}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
swiftc=${SWIFTC:-/opt/swift/usr/bin/swiftc}
out=$root/.build-fuzz

die() { echo "fuzz.sh: $*" >&2; exit 1; }
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || die "usage: fuzz.sh [SECONDS] [JOBS]"
[[ -x $swiftc ]] || die "no swiftc at $swiftc (set SWIFTC)"
[[ -d $root/Tests/Fuzz/corpus ]] || die "no seed corpus (run Tests/Fuzz/make-corpus.sh)"

mkdir -p "$out/corpus" "$out/crashes"
cd "$root"
# lld: the default gold linker warns about every ASan helper symbol.
echo "fuzz.sh: building $out/decode-fuzz"
"$swiftc" -sanitize=fuzzer,address -parse-as-library -O -module-name DecodeFuzz -use-ld=lld \
    Sources/ScopeDecode/*.swift Tests/Fuzz/DecodeFuzz.swift -o "$out/decode-fuzz"

cp -n Tests/Fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
before=$(find "$out/crashes" -type f | wc -l)
flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=20
       -artifact_prefix="$out/crashes/" -print_final_stats=1)
echo "fuzz.sh: fuzzing for ${seconds}s with $jobs job(s)"
status=0
if [[ $jobs -eq 1 ]]; then
    nice -n "${FUZZ_NICE:-10}" "$out/decode-fuzz" "${flags[@]}" "$out/corpus" >"$out/fuzz.log" 2>&1 || status=$?
else
    # -fork keeps going after a crash and honours -max_total_time for the whole run.
    nice -n "${FUZZ_NICE:-10}" "$out/decode-fuzz" "${flags[@]}" -fork="$jobs" -ignore_crashes=1 \
        "$out/corpus" >"$out/fuzz.log" 2>&1 || status=$?
fi

# Summary from libFuzzer's final statistics, or its last status line.
log=$out/fuzz.log
final_stat() { grep -oE "stat::$1: +[0-9]+" "$log" | tail -1 | grep -oE '[0-9]+$' || true; }
runs=$(final_stat number_of_executed_units)
[[ -n $runs ]] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
rate=$(final_stat average_exec_per_sec)
last=$(grep -E 'cov: [0-9]+' "$log" | tail -1 || true)
[[ -n $rate ]] || rate=$(grep -oE 'exec/s: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)  # -fork runs
cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
after=$(find "$out/crashes" -type f | wc -l)
echo "fuzz.sh: executions=${runs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?}" \
     "corpus=$(find "$out/corpus" -type f | wc -l) crashes=$((after - before)) (total $after in $out/crashes)" \
     "seconds=$seconds jobs=$jobs exit=$status"
[[ $((after - before)) -eq 0 && $status -eq 0 ]]
