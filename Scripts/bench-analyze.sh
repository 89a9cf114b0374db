#!/usr/bin/env bash
# bench-analyze.sh — analyzer speed on real traffic, side by side in one run:
# dpdkscope read with the analyzers vs tshark dissecting the same protocols,
# same file, best of 3 each.
#
# The file is real traffic through the tap testbed (testpmd forwarding between
# two namespaces), captured by dpdkscope on port 0 (rx and tx: every packet
# once): nginx + wrk (keep-alive HTTP/1.1), dnsmasq + dig, redis-server +
# redis-benchmark (plain and -P 16 pipelined), postgres + pgbench -S (simple
# protocol) and -M extended. Cached as /var/tmp/dpdkscope-bench-analyze.pcapng,
# reused unless --regenerate.
#
# Usage: Scripts/bench-analyze.sh [SECONDS] [--regenerate]   (root; SECONDS
#        of load, default 20)
#        Scripts/bench-analyze.sh --per-protocol [SECONDS] [--regenerate]
#
# --per-protocol records one file per protocol (Scripts/lib/bench-protocols.sh:
# pipelined Redis and RESP3, MySQL text and prepared, PgSQL simple, extended
# and prepared, HTTP keep-alive and Connection: close, DNS, Memcached text
# and binary, ICMP flood, all of them at once; then TLS 1.2 and 1.3 full
# handshakes, HTTP/2 streams and gRPC calls) with real servers and clients
# on a veth pair, cached in /var/tmp/dpdkscope-bench-proto/ (SECONDS of load
# each, default 5; gRPC 6 times that; counts for HTTP/2, 40,000 streams,
# and TLS, 8,000 full handshakes, per second of it), then prints per file the
# transactions per CPU second (user + sys; perf task-clock when there is
# perf) of `dpdkscope read --analyze --json --no-output-thread` (one thread,
# decode included, best of ROUNDS, default 3) and of tshark dissecting the
# same protocols (best of TSHARK_ROUNDS, default 1; for TLS, HTTP/2 and gRPC
# with the fields our events carry), and their ratio. Transactions are the
# file's own protocol's counter (tls_ or http2_transactions; all for mix).
# SCOPE_BIN=path measures that binary instead of building this checkout;
# RECORD_ONLY=1 only records the missing files; ONLY="tls12 grpc" (names
# from bp_names) records and measures only those files.
# Output: a Markdown table on stdout (transactions/s, packets/s, CPU s, ratios
# to tshark by wall time and by CPU time; HTTP transactions per CPU second
# with only HTTP enabled), raw timings on stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/nginx.sh
source "$root/Scripts/lib/nginx.sh"
cache=/var/tmp/dpdkscope-bench-analyze.pcapng
prefix=dpdkscope-ba seconds=20 regenerate=0 per_protocol=0
for arg in "$@"; do
    case $arg in
    --regenerate) regenerate=1 ;;
    --per-protocol) per_protocol=1 seconds=5 ;;
    *[!0-9]* | '' | 0) echo "usage: $0 [SECONDS] [--regenerate]" >&2; exit 64 ;;
    *) seconds=$arg ;;
    esac
done
say() { echo "bench-analyze: $*" >&2; }
die() { say "$*"; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (testbed, namespaces, apt)"

if ((per_protocol)); then
    "$root/Scripts/setup.sh" >/dev/null
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    scope=${SCOPE_BIN:-}
    if [[ -z $scope && -z ${RECORD_ONLY:-} ]]; then
        (cd "$root" && swift build -c release --product dpdkscope >/tmp/dpdkscope-bench-build.log 2>&1) ||
            { tail -n 30 /tmp/dpdkscope-bench-build.log >&2; die "build failed"; }
        scope=$root/.build/release/dpdkscope
    fi
    # shellcheck source=lib/bench-protocols.sh
    source "$root/Scripts/lib/bench-protocols.sh"
    # shellcheck source=lib/netns-pair.sh
    source "$root/Scripts/lib/netns-pair.sh"
    cachedir=/var/tmp/dpdkscope-bench-proto
    [[ -z ${ONLY:-} ]] || read -r -a bp_names <<<"$ONLY"
    mkdir -p "$cachedir"
    work=$(mktemp -d /tmp/dpdkscope-bench-proto.XXXXXX) pids=() ns_c=dpdkscope-bpc$$ ns_s=dpdkscope-bps$$
    trap 'rm -rf -- "$work"' EXIT
    todo=()
    for name in "${bp_names[@]}"; do
        if ((regenerate)) || [[ ! -s $cachedir/$name.pcap ]]; then todo+=("$name"); fi
    done
    if ((${#todo[@]})); then
        bp_servers || die "servers failed to start"
        for name in "${todo[@]}"; do
            say "recording $name (${seconds}s of load)"
            bp_record "$name" "$cachedir/$name.pcap" || die "recording $name failed"
        done
        bp_cleanup; trap - EXIT
    fi
    [[ -z ${RECORD_ONLY:-} ]] || exit 0
    command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1 && use_perf=1 || use_perf=0
    cpu_of() { # command... -> CPU seconds, user + sys, on stdout (output of the command discarded)
        if ((use_perf)); then
            perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '/task-clock/ { printf "%.3f", $1 / 1000 }'
        else
            local TIMEFORMAT='%3U %3S'
            { time "$@" >/dev/null 2>/dev/null; } 2>&1 | awk '{ printf "%.3f", $1 + $2 }'
        fi
    }
    best_cpu() { # rounds command... -> least CPU seconds of `rounds` runs
        local rounds=$1 best="" t; shift
        for ((r = 0; r < rounds; r++)); do
            t=$(cpu_of "$@")
            [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }' && best=$t
        done
        echo "$best"
    }
    # tshark on the same file: the protocols' display filter (which makes it
    # dissect them) and, for TLS, HTTP/2 and gRPC, the fields our events carry.
    tshark_args() { # name -> tshark arguments in the array `targs`
        targs=(-d tcp.port==6379,resp)
        case $1 in
        redis*) targs+=(-Y resp) ;; mysql*) targs+=(-Y mysql) ;; pgsql*) targs+=(-Y pgsql) ;; http-*) targs+=(-Y http) ;;
        dns) targs+=(-Y dns) ;; memcache*) targs+=(-Y memcache) ;; icmp) targs+=(-Y icmp) ;;
        tls*) targs+=(-Y 'tls.handshake.type == 1 || tls.handshake.type == 2 || tls.handshake.type == 11' -e tls.handshake.type
                      -e tls.handshake.extensions_server_name -e tls.handshake.ciphersuite -e tls.handshake.ja3
                      -e tls.handshake.ja3s -e x509sat.uTF8String) ;;
        http2) targs=(-d tcp.port==8080,http2 -Y 'http2.type == 1' -e http2.streamid -e http2.headers.method
                      -e http2.headers.path -e http2.headers.status) ;;
        grpc) targs=(-d tcp.port==50051,http2 -Y 'http2.type == 1 || grpc' -e http2.streamid -e http2.headers.path
                     -e grpc.message_length -e http2.header.value) ;;
        *) targs+=(-Y 'http || dns || resp || mysql || pgsql || memcache || icmp') ;;
        esac
        [[ ${targs[*]} == *" -e "* ]] || targs+=(-e frame.number)
        targs=(-T fields "${targs[@]}")
    }
    # Transactions of the file's own protocol (all of them for the mix).
    counter_of() { case $1 in tls*) echo tls ;; http2 | grpc) echo http2 ;; *) echo '[a-z0-9]*' ;; esac; }
    echo "| file | packets | transactions | dpdkscope CPU s | transactions / CPU s | tshark CPU s | tshark transactions / CPU s | × tshark (CPU) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for name in "${bp_names[@]}"; do
        file=$cachedir/$name.pcap
        cat "$file" >/dev/null
        stats=$("$scope" read "$file" --analyze --stats | tail -n 1)
        tx=$(tr ' ' '\n' <<<"$stats" | awk -F= -v c="^$(counter_of "$name")_transactions$" '$1 ~ c && $1 != "tcp_transactions" { t += $2 } END { print t + 0 }')
        packets=$(tr ' ' '\n' <<<"$stats" | sed -n 's/^packets=//p')
        ours=$(best_cpu "${ROUNDS:-3}" "$scope" read "$file" --analyze --json --no-output-thread)
        tshark_args "$name"
        theirs=$(best_cpu "${TSHARK_ROUNDS:-1}" tshark -r "$file" "${targs[@]}")
        say "$name: packets=$packets transactions=$tx dpdkscope=${ours}s tshark=${theirs}s"
        awk -v n="$name" -v p="$packets" -v t="$tx" -v o="$ours" -v h="$theirs" \
            'BEGIN { printf "| %s | %d | %d | %.3f | %.0f | %.2f | %.0f | %.1f |\n", n, p, t, o, t / o, h, t / h, h / o }'
    done
    echo
    echo "dpdkscope: \`$scope read FILE --analyze --json --no-output-thread\` (best of ${ROUNDS:-3}); tshark: \`tshark -r FILE -T fields -d tcp.port==6379,resp -Y FILTER -e frame.number\` (TLS, HTTP/2, gRPC: their handshake/HEADERS/message fields, see tshark_args; best of ${TSHARK_ROUNDS:-1}); CPU = $( ((use_perf)) && echo 'perf stat task-clock' || echo 'user + sys')"
    exit 0
fi

work=$(mktemp -d /tmp/dpdkscope-bench-analyze.XXXXXX)
partial="" pids=()
teardown() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    if [[ -f $work/pg/postmaster.pid ]]; then
        su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $work/pg -m immediate stop" >/dev/null 2>&1 || true
    fi
    "$root/Scripts/testbed.sh" stop --prefix "$prefix" || true
}
cleanup() {
    teardown
    if [[ -n $partial && -f $partial ]]; then rm -f -- "$partial"; fi
    rm -rf -- "$work"
}
trap cleanup EXIT

# setup.sh brings DPDK, tshark, the servers and their clients.
"$root/Scripts/setup.sh" >/dev/null
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
cd "$root"
swift build -c release --product dpdkscope >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; die "build failed"; }
scope=$root/.build/release/dpdkscope

make_pcap() {
    local info a b ipb cap
    say "generating $cache: ${seconds}s of load through the tap testbed"
    "$root/Scripts/testbed.sh" stop --prefix "$prefix"
    info=$("$root/Scripts/testbed.sh" start --shape tap --prefix "$prefix")
    kv() { sed -n "s/^$1=//p" <<<"$info"; }
    a=$(kv netns-a) b=$(kv netns-b) ipb=$(kv ip-b)
    nginx_start "$b" "$work" "$ipb:8080"
    ip netns exec "$b" dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$ipb" --address=/#/10.9.9.9 --pid-file="$work/dnsmasq.pid" \
        --log-facility="$work/dnsmasq.log" & pids+=($!)
    ip netns exec "$b" redis-server --bind "$ipb" --port 6379 --save '' --appendonly no --dir "$work" \
        --protected-mode no >"$work/redis.log" 2>&1 & pids+=($!)
    mkdir -p "$work/pg" && chown postgres "$work/pg"
    su postgres -s /bin/sh -c "$pgbin/initdb -D $work/pg -A trust" >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed"; }
    echo "host all all 0.0.0.0/0 trust" >>"$work/pg/pg_hba.conf"
    ip netns exec "$b" su postgres -s /bin/sh -c \
        "$pgbin/pg_ctl -D $work/pg -o \"-c listen_addresses=$ipb -k $work/pg\" -l $work/pg/server.log -w start" >/dev/null ||
        { cat "$work/pg/server.log" >&2; die "postgres failed"; }
    ip netns exec "$a" "$pgbin/pgbench" -h "$ipb" -U postgres -i -s 1 postgres >"$work/pgbench-init.log" 2>&1 ||
        { cat "$work/pgbench-init.log" >&2; die "pgbench -i failed"; }
    seq 1 100000 | awk -v s="$ipb" '{ printf "@%s +tries=1 +time=1 +short host%d.bench.test A\n", s, $1 }' >"$work/dig.batch"
    ip netns exec "$a" curl -sf -o /dev/null --retry 4 --retry-connrefused "http://$ipb:8080/" || die "nginx does not answer"

    partial=$(mktemp /var/tmp/dpdkscope-bench-analyze.XXXXXX.pcapng)
    "$scope" capture --file-prefix "$prefix" -i 0 --both -w "$partial" -a "duration:$((seconds + 3))" -q \
        2>"$work/capture.err" & cap=$!; pids+=($!)
    sleep 1.5
    kill -0 "$cap" 2>/dev/null || { cat "$work/capture.err" >&2; die "capture failed to start"; }
    ip netns exec "$a" wrk -t1 -c8 -d "${seconds}s" "http://$ipb:8080/" >"$work/wrk.txt" & pids+=($!)
    timeout "$seconds" ip netns exec "$a" dig -f "$work/dig.batch" >/dev/null & pids+=($!)
    timeout "$seconds" ip netns exec "$a" sh -c "while :; do redis-benchmark -h $ipb -q -n 20000 -c 4 -t set,get,incr,lpush >/dev/null; redis-benchmark -h $ipb -q -n 20000 -P 16 -t set,get >/dev/null; done" & pids+=($!)
    timeout "$seconds" ip netns exec "$a" "$pgbin/pgbench" -h "$ipb" -U postgres -S -c 2 -T "$seconds" postgres >"$work/pgbench-simple.log" 2>&1 & pids+=($!)
    timeout "$seconds" ip netns exec "$a" "$pgbin/pgbench" -h "$ipb" -U postgres -S -M extended -c 1 -T "$seconds" postgres >"$work/pgbench-extended.log" 2>&1 & pids+=($!)
    wait "$cap" || { cat "$work/capture.err" >&2; die "capture failed"; }
    [[ -s $partial ]] || die "capture wrote nothing"
    mv -f -- "$partial" "$cache"; partial=""
    teardown
}

if ((regenerate)) || [[ ! -s $cache ]]; then make_pcap; else say "reusing $cache (--regenerate to make a new one)"; fi
packets=$(capinfos -T -r -c -M "$cache" | cut -f2)
[[ $packets =~ ^[0-9]+$ ]] || die "capinfos could not count $cache"
cat "$cache" >/dev/null

spec='http:8080;dns;redis;pgsql'
# Transactions per protocol, from dpdkscope's own counters.
stats=$("$scope" read "$cache" --proto "$spec" --ports-only --stats | tail -n 1)
field() { tr ' ' '\n' <<<"$stats" | sed -n "s/^$1=//p"; }
transactions=0
for p in http dns redis pgsql; do transactions=$((transactions + $(field "${p}_transactions"))); done
http=$(field http_transactions)
say "transactions: total=$transactions http=$http dns=$(field dns_transactions) redis=$(field redis_transactions) pgsql=$(field pgsql_transactions)"

# Row 0 is the default: rendering and writing on a second thread (wall time
# is what a user waits; CPU is both threads). Row 1 is the same on one
# thread: the per-core figure. The HTTP row is on one thread too (its target
# is per core).
names=("dpdkscope read --proto MIX --json > /dev/null"
       "dpdkscope read --proto MIX --json --no-output-thread > /dev/null"
       "dpdkscope read --proto http:8080 --json --no-output-thread > /dev/null"
       "tshark -Y 'http || dns || resp || pgsql' -T fields > /dev/null")
tshark_row=3 http_row=2
run() {
    case $1 in
    0) "$scope" read "$cache" --proto "$spec" --ports-only --json ;;
    1) "$scope" read "$cache" --proto "$spec" --ports-only --json --no-output-thread ;;
    2) "$scope" read "$cache" --proto http:8080 --ports-only --json --no-output-thread ;;
    3) tshark -r "$cache" -d tcp.port==6379,resp -Y 'http || dns || resp || pgsql' -T fields -e frame.number ;;
    esac >/dev/null 2>>"$work/tools.err"
}
TIMEFORMAT='%3R %3U %3S'
best=() cpu=()
for round in 1 2 3; do
    for i in "${!names[@]}"; do
        { time run "$i"; } 2>"$work/time" || { tail -n 5 "$work/tools.err" >&2; die "${names[$i]} failed"; }
        read -r wall user sys <"$work/time"
        say "round $round: ${names[$i]}: wall=${wall}s user=${user}s sys=${sys}s"
        if [[ -z ${best[$i]:-} ]] || awk -v a="$wall" -v b="${best[$i]}" 'BEGIN { exit !(a < b) }'; then
            best[i]=$wall cpu[i]=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        fi
    done
done

echo "| run | packets | transactions | wall s (best of 3) | CPU s | packets/s | transactions/s | × tshark (wall) | × tshark (CPU) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
    tx=$transactions; [[ $i -eq $http_row ]] && tx=$http
    awk -v n="${names[$i]}" -v p="$packets" -v t="$tx" -v s="${best[$i]}" -v c="${cpu[$i]}" -v ts="${best[$tshark_row]}" \
        -v tc="${cpu[$tshark_row]}" \
        'BEGIN { printf "| `%s` | %d | %d | %.2f | %.2f | %.0f | %.0f | %.1f | %.1f |\n", n, p, t, s, c, p / s, t / s, ts / s, tc / c }'
done
echo
awk -v h="$http" -v c="${cpu[$http_row]}" 'BEGIN { printf "HTTP transactions per CPU second (HTTP only, one thread, decode included): %.0f\n", h / c }'
echo "counters: \`$stats\`"
