#!/usr/bin/env bash
# fuzz.sh [decode|analyze|analyze-GROUP] [SECONDS] [JOBS] — build and run a libFuzzer target.
#
# Targets (default decode):
#   decode   Tests/Fuzz/DecodeFuzz.swift with Sources/ScopeDecode/*.swift (one
#            module): decoder, fragments, flows, TCP reassembly. Seeds:
#            Tests/Fuzz/corpus/ (make-corpus.sh).
#   analyze  ScopeDecode as a library, then Tests/Fuzz/AnalyzeFuzz.swift with
#            Sources/ScopeAnalyzers/**/*.swift (one module): every analyzer,
#            through the engine and session by session. Seeds:
#            Tests/Fuzz/analyze-corpus/ (make-analyze-corpus.sh).
#   analyze-GROUP  the analyze fuzzer narrowed to one protocol group: web
#            (http), dns (dns, icmp), kv (redis, memcache), sql (mysql,
#            pgsql), or one registered protocol by name (analyze-tls); see
#            AnalyzeFuzz.swift. Same binary and seeds, its own corpus and
#            crash directory, so groups can run side by side.
# Built with libFuzzer and AddressSanitizer (no SwiftPM), then fuzzed for
# SECONDS (default 60) with JOBS parallel jobs (default 1). Everything it
# writes is under .build-fuzz/ (git-ignored), per target T:
#   T-fuzz           the fuzzer binary
#   T-corpus/        working corpus (decode: corpus/): seeds plus what the
#                    fuzzer found; kept between runs (delete to restart)
#   T-crashes/       (decode: crashes/) crash-*, leak-*, timeout-*, oom-*
#   T-fuzz.log       (decode: fuzz.log) the fuzzer's output
# Reproduce a crash:  .build-fuzz/T-fuzz .build-fuzz/T-crashes/crash-...
# The fuzzer runs under nice (FUZZ_NICE, default 10): builds come first.
# FUZZ_TIMEOUT (default 20) is the per-input time limit in seconds.
# FUZZ_SKIP_BUILD=1 reuses the built binary: start groups side by side only
# after one build (two builds would write the same binary at once).
set -euo pipefail

target=decode group=
case ${1:-} in
    decode|analyze) target=$1; shift ;;
    # A group, or any registered protocol's name: AnalyzeFuzz.swift checks it.
    analyze-*) target=analyze group=${1#analyze-}; shift ;;
esac
seconds=${1:-60}
jobs=${2:-1}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
swiftc=${SWIFTC:-/opt/swift/usr/bin/swiftc}
out=$root/.build-fuzz

die() { echo "fuzz.sh: $*" >&2; exit 1; }
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || die "usage: fuzz.sh [SECONDS] [JOBS]"
[[ -x $swiftc ]] || die "no swiftc at $swiftc (set SWIFTC)"
if [[ $target == decode ]]; then
    seeds=Tests/Fuzz/corpus corpus=$out/corpus crashes=$out/crashes log=$out/fuzz.log
else
    name=analyze${group:+-$group}
    seeds=Tests/Fuzz/analyze-corpus corpus=$out/$name-corpus crashes=$out/$name-crashes log=$out/$name-fuzz.log
fi
export DPDKSCOPE_FUZZ_GROUP=$group
binary=$out/$target-fuzz
[[ -d $root/$seeds ]] || die "no seed corpus $seeds (run Tests/Fuzz/make-*corpus.sh)"

mkdir -p "$corpus" "$crashes"
cd "$root"
# lld: the default gold linker warns about every ASan helper symbol.
sanitize=(-sanitize=fuzzer,address -parse-as-library -O)
# swift-crypto (Community ID's SHA-1, TLS hashes), swift-asn1 and swift-certificates
# (X.509) come from the package's SwiftPM debug build, linked in as they are (not
# instrumented; our code is): their modules, C module maps and object files.
dependencies() {
    "${swiftc%c}" build --package-path "$root" --target ScopeAnalyzers >/dev/null
    local spm package module
    spm=$("${swiftc%c}" build --package-path "$root" --show-bin-path)
    imports=(-I "$spm/Modules")
    for module in CCryptoBoringSSL CCryptoBoringSSLShims CXKCP CXKCPShims; do
        imports+=(-Xcc "-fmodule-map-file=$root/.build/checkouts/swift-crypto/Sources/$module/include/module.modulemap")
    done
    objects=()
    for package in SwiftASN1 X509 _CertificateInternals Crypto CryptoExtras _CryptoExtras CryptoBoringWrapper \
                   CCryptoBoringSSL CCryptoBoringSSLShims CXKCP CXKCPShims; do
        [[ -d $spm/$package.build ]] || continue
        mapfile -t -O "${#objects[@]}" objects < <(find "$spm/$package.build" -name '*.o' ! -name '*.swiftmodule.o' | sort)
    done
}

if [[ ${FUZZ_SKIP_BUILD:-0} == 1 && -x $binary ]]; then
    echo "fuzz.sh: reusing $binary"
elif [[ $target == decode ]]; then
    echo "fuzz.sh: building $binary"
    dependencies
    "$swiftc" "${sanitize[@]}" -module-name DecodeFuzz -use-ld=lld "${imports[@]}" \
        Sources/ScopeDecode/*.swift Tests/Fuzz/DecodeFuzz.swift "${objects[@]}" -lstdc++ -o "$binary"
else
    echo "fuzz.sh: building $binary"
    dependencies
    # The analyzers import ScopeDecode, so it is built as a module first.
    mkdir -p "$out/lib"
    "$swiftc" "${sanitize[@]}" -module-name ScopeDecode -emit-library -static -emit-module "${imports[@]}" \
        -emit-module-path "$out/lib/ScopeDecode.swiftmodule" Sources/ScopeDecode/*.swift -o "$out/lib/libScopeDecode.a"
    mapfile -t analyzers < <(find Sources/ScopeAnalyzers -name '*.swift' | sort)
    "$swiftc" "${sanitize[@]}" -module-name AnalyzeFuzz -use-ld=lld -I "$out/lib" -L "$out/lib" -lScopeDecode \
        "${imports[@]}" "${analyzers[@]}" Tests/Fuzz/AnalyzeFuzz.swift "${objects[@]}" -lstdc++ -o "$binary"
fi

cp -n "$seeds"/* "$corpus/" 2>/dev/null || true
# slow-unit-* files are reports of slow inputs, not failures.
before=$(find "$crashes" -type f ! -name "slow-unit-*" | wc -l)
# FUZZ_TIMEOUT: seconds one input may take. Raise it when the fuzzer runs
# niced beside builds: a 0.3 s input then takes 20 s of wall time.
flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout="${FUZZ_TIMEOUT:-20}"
       -artifact_prefix="$crashes/" -print_final_stats=1)
echo "fuzz.sh: fuzzing for ${seconds}s with $jobs job(s)"
status=0
if [[ $jobs -eq 1 ]]; then
    nice -n "${FUZZ_NICE:-10}" "$binary" "${flags[@]}" "$corpus" >"$log" 2>&1 || status=$?
else
    # -fork keeps going after a crash and honours -max_total_time for the whole run.
    nice -n "${FUZZ_NICE:-10}" "$binary" "${flags[@]}" -fork="$jobs" -ignore_crashes=1 \
        "$corpus" >"$log" 2>&1 || status=$?
fi

# Summary from libFuzzer's final statistics, or its last status line.
final_stat() { grep -oE "stat::$1: +[0-9]+" "$log" | tail -1 | grep -oE '[0-9]+$' || true; }
runs=$(final_stat number_of_executed_units)
[[ -n $runs ]] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
rate=$(final_stat average_exec_per_sec)
last=$(grep -E 'cov: [0-9]+' "$log" | tail -1 || true)
[[ -n $rate ]] || rate=$(grep -oE 'exec/s: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)  # -fork runs
cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
after=$(find "$crashes" -type f ! -name "slow-unit-*" | wc -l)
echo "fuzz.sh: executions=${runs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?}" \
     "corpus=$(find "$corpus" -type f | wc -l) crashes=$((after - before)) (total $after in $crashes)" \
     "target=$target${group:+-$group} seconds=$seconds jobs=$jobs exit=$status"
[[ $((after - before)) -eq 0 && $status -eq 0 ]]
