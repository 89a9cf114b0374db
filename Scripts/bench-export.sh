#!/usr/bin/env bash
# bench-export.sh — how many events per second each output sustains on one
# core: a recorded capture's events go through the live agent, one output at
# a time, and the CPU time of that output's threads is read from
# /proc/PID/task/*/stat just before the agent stops.
#
# The events are real: the pacing primary (Tests/Fixtures/pacing-primary.c,
# as in bench-live.sh's paced search) sends the capture (default: the
# bench-analyze mix, /var/tmp/dpdkscope-bench-proto/mix.pcap; EXPORT_FILE=
# picks another Ethernet pcap) at RATE packets/s, every loop under new
# addresses, and the agent's single capture loop analyses it. Records and
# CPU are read together a few seconds after the primary has sent
# everything, from /metrics (dpdkscope_output_sent_total) and /proc. Each round
# runs the agent once per configuration:
#   base        file off, /metrics only
#   file        + the JSON file output
#   otlp_traces, otlp_logs, remote_write (every 1 s), kafka
#               file off, the one export on, into sinks that cost little
#               (Scripts/lib/export-sinks.sh: a Python server answering 200, librdkafka's
#               mock cluster with one partition)
# An export's CPU is its threads' (its Exporter thread, AsyncHTTPClient's
# event loops, librdkafka's rdk:* threads; see thread_ticks) minus what the
# same threads used in `base`; the file output's is the capture loop's and the
# other threads' extra CPU over `base` (events are rendered and written on
# the loop). Records: spans, log records, samples, messages or lines
# (from the exit summary or the file). Bytes per record: request bytes the
# sink received (request line, headers and gzip'd body),
# the file's bytes, Kafka's message key plus value (compression none; the
# mock cluster cannot be asked for wire bytes).
#
# Usage: Scripts/bench-export.sh [SECONDS] [RATE] [ROUNDS]   (root; 10 s, 40000 packets/s, 3 rounds;
# the primary sends whole loops of the file, so a run lasts at least one)
# Environment: EXPORT_FILE (the capture), EXPORT_BIN (a dpdkscope to measure
# instead of building this tree in release), EXPORT_SKIP_SETUP=1 (skip
# Scripts/setup.sh), EXPORT_DEBUG=1 (list the agent's threads and their allowed CPUs each run).
# Output: a Markdown table on stdout (medians over the rounds; paste into
# BENCHMARKS.md), raw lines on stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACED_PREFIX=dpdkscope-bexp  # its own primary, apart from bench-live's
# shellcheck source=lib/bench-paced.sh
source "$root/Scripts/lib/bench-paced.sh"
# shellcheck source=lib/export-sinks.sh
source "$root/Scripts/lib/export-sinks.sh"
seconds=${1:-10} rate=${2:-40000} rounds=${3:-3}
[[ $seconds =~ ^[1-9][0-9]*$ && $rate =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]] ||
    { echo "usage: $0 [SECONDS] [RATE] [ROUNDS]" >&2; exit 64; }
say() { echo "bench-export: $*" >&2; }
die() { say "$*"; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (hugepages, the DPDK primary)"

work=$(mktemp -d /var/tmp/dpdkscope-bench-export.XXXXXX)
pids=()
teardown() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    paced_stop
}
trap 'teardown; rm -rf -- "$work"' EXIT

[[ ${EXPORT_SKIP_SETUP:-} == 1 ]] || "$root/Scripts/setup.sh" >/dev/null
cd "$root"
scope=${EXPORT_BIN:-}  # another build to measure (a release build of this tree by default)
if [[ -z $scope ]]; then
    swift build -c release --product dpdkscope >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; die "build failed"; }
    scope=$root/.build/release/dpdkscope
fi
paced_file=${EXPORT_FILE:-/var/tmp/dpdkscope-bench-proto/mix.pcap}
[[ -s $paced_file ]] || die "no $paced_file: make it with Scripts/bench-analyze.sh --per-protocol (or set EXPORT_FILE)"
paced_packets=$(capinfos -c -M "$paced_file" | awk '/Number of packets/ { print $NF }')
paced_build
sinks_start "$work"
ticks_per_second=$(getconf CLK_TCK)

# thread_ticks PID -> "export OTHER" CPU ticks (utime + stime) by thread
# class. Export: the outputs' own threads (each Exporter names itself
# after its output: otlp_traces, otlp_logs, kafka, remote_write,
# remote_write_in), the threads named like the process other than its main
# one (Foundation's Thread names do not reach the kernel; the capture loop
# runs on the main thread, the outputs' Exporter and remote-write reader
# threads are the others), AsyncHTTPClient's event loops (NIO-SGLTN-*) and
# librdkafka's (rdk:*). Other: the rest (the loop, the metrics server's
# NIO-ELT-*, EAL's).
thread_ticks() {
    local task comm stat export=0 other=0 fields
    for task in /proc/"$1"/task/*; do
        comm=$(cat "$task/comm" 2>/dev/null) || continue
        stat=$(cat "$task/stat" 2>/dev/null) || continue
        read -ra fields <<<"${stat##*) }"
        if [[ ($comm == dpdkscope && ${task##*/} != "$1") || $comm == NIO-SGLTN* || $comm == rdk:* ||
              $comm == otlp_* || $comm == kafka || $comm == remote_write* ]]; then
            export=$((export + fields[11] + fields[12]))
        else
            other=$((other + fields[11] + fields[12]))
        fi
    done
    echo "$export $other"
}

# run NAME OUTPUTS_YAML -> "$work/run.NAME": export_ticks other_ticks records bytes
run() {
    local name=$1 outputs=$2 config=$work/agent.yaml start=$work/paced.start loops agent ticks records bytes
    loops=$(((rate * seconds + paced_packets - 1) / paced_packets))
    paced_stop
    rm -f "$start" "$work/events.ndjson"*
    rm -rf "$work/spool"
    : >"$work/sink.log"  # the sink appends (O_APPEND): it writes on from the start
    local attempt
    for attempt in 1 2 3; do  # hugepages a moment ago still held by the last primary
        "$work/pacing-primary" -l 0 --no-pci --no-telemetry -m 256 --file-prefix "$paced_prefix" --vdev net_null0 \
            -- "$paced_file" "$rate" "$loops" "$start" >"$work/paced.primary" 2>&1 &
        paced_primary_pid=$!
        for _ in $(seq 100); do grep -q ready "$work/paced.primary" 2>/dev/null && break; sleep 0.1; done
        grep -q ready "$work/paced.primary" && break
        paced_stop
        sleep 2
    done
    grep -q ready "$work/paced.primary" || { cat "$work/paced.primary" >&2; die "pacing primary did not start"; }
    cat >"$config" <<YAML
attach:
  file_prefix: $paced_prefix
captures:
  - direction: tx
outputs:
  metrics: { port: 9398 }
$outputs
YAML
    "$scope" agent --config "$config" 2>"$work/agent.err" &
    agent=$!
    for _ in $(seq 100); do grep -q "attached to pid" "$work/agent.err" 2>/dev/null && break; sleep 0.1; done
    sleep 1
    touch "$start"
    for _ in $(seq $((seconds * 10 + 300))); do grep -q "sent" "$work/paced.primary" && break; sleep 0.1; done
    sleep 2  # the last batches (interval 1 s by default) leave
    # CPU and records at the same moment (what is still queued then is in neither).
    ticks=$(thread_ticks "$agent")
    [[ -n ${EXPORT_DEBUG:-} ]] && say "threads (name@allowed CPUs): $(for t in /proc/$agent/task/*; do
        echo "$(cat "$t/comm")@$(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status")"; done | sort | uniq -c | tr -s " \n" " ")"
    records=$(curl -s http://127.0.0.1:9398/metrics |
        sed -n "s/^dpdkscope_output_sent_total{output=\"$name\"} \([0-9]*\).*/\1/p")
    [[ $name == file ]] && records=$(wc -l <"$work/events.ndjson")
    case $name in otlp_traces) bytes=$(sinks_bytes /v1/traces) ;; otlp_logs) bytes=$(sinks_bytes /v1/logs) ;;
    remote_write) bytes=$(sinks_bytes /api/v1/write) ;; file) bytes=$(stat -c %s "$work/events.ndjson") ;; *) bytes=0 ;; esac
    kill -TERM "$agent"
    wait "$agent" || { cat "$work/agent.err" >&2; die "agent failed ($name)"; }
    paced_stop
    if [[ $name == kafka ]]; then
        # key (community id) + value (the JSON line) per message, as the file has them
        bytes=$(kcat -C -b "$sink_kafka" -t "bench-$round" -o beginning -e -q -f '%K %S\n' 2>/dev/null |
            awk '{ n += ($1 < 0 ? 0 : $1) + $2; m++ } END { printf "%d", m ? n * r / m : 0 }' r="${records:-0}")
    fi
    grep -q "dropped [1-9]" "$work/agent.err" && say "$name: the agent dropped records: $(grep dropped "$work/agent.err")"
    echo "$ticks ${records:-0} $bytes" >"$work/run.$name"
    say "round $round $name: ticks(export other)=$ticks records=${records:-0} bytes=$bytes"
}

file_yaml="  file: { path: $work/events.ndjson, rotate_bytes: 1TiB }"
off_yaml="  file: { enabled: false }"
names=(file otlp_traces otlp_logs remote_write kafka)
declare -A results
for round in $(seq "$rounds"); do
    run base "$off_yaml"
    run file "$file_yaml"
    run otlp_traces "$off_yaml
  otlp: { enabled: true, endpoint: \"http://$sink_http\", logs: false }
  spool: { path: $work/spool }"
    run otlp_logs "$off_yaml
  otlp: { enabled: true, endpoint: \"http://$sink_http\", traces: false }
  spool: { path: $work/spool }"
    run remote_write "$off_yaml
  remote_write: { enabled: true, url: \"http://$sink_http/api/v1/write\", interval: 1s }
  spool: { path: $work/spool }"
    run kafka "$off_yaml
  kafka: { enabled: true, brokers: [\"$sink_kafka\"], topic: bench-$round }
  spool: { path: $work/spool }"
    read -r base_export base_other _ <"$work/run.base"
    for name in "${names[@]}"; do
        read -r export other records bytes <"$work/run.$name"
        if [[ $name == file ]]; then cost=$(((export - base_export) + (other - base_other))); else cost=$((export - base_export)); fi
        results[$name]+="$(awk -v r="$records" -v c="$cost" -v t="$ticks_per_second" -v b="$bytes" \
            'BEGIN { printf "%d:%.3f:%.0f:%.0f", r, c / t, (c > 0 ? r * t / c : -1), (r ? b / r : 0) }') "
    done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo
echo "$(capinfos -c -M "$paced_file" | awk '/Number of packets/ { print $NF }') packets of $paced_file at $rate packets/s," \
    "${seconds} s per run, $rounds rounds, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(date -u +%Y-%m-%d)"
echo
echo "| output | records per run | CPU s per run | records per CPU second | bytes per record |"
echo "|---|---:|---:|---:|---:|"
for name in "${names[@]}"; do
    set -- ${results[$name]}
    records=$(printf '%s\n' "$@" | cut -d: -f1 | tr '\n' ' ' | median)
    cpu=$(printf '%s\n' "$@" | cut -d: -f2 | tr '\n' ' ' | median)
    per=$(printf '%s\n' "$@" | cut -d: -f3 | tr '\n' ' ' | median)
    bytes=$(printf '%s\n' "$@" | cut -d: -f4 | tr '\n' ' ' | median)
    echo "| $name | $records | $cpu | $per | $bytes |"
done
say "raw (records:cpu_s:per_cpu_s:bytes per round): $(for n in "${names[@]}"; do echo -n "$n=${results[$n]}; "; done)"
