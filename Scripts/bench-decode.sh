#!/usr/bin/env bash
# bench-decode.sh — offline decode speed on real traffic, side by side in one
# run: dpdkscope read vs tcpdump (libpcap decode to text) and tshark (full
# dissection + TCP conversation table), same file, best of 3 each.
#
# The file is real traffic: nginx in one testbed namespace, wrk (keep-alive
# and Connection: close), dig against dnsmasq, and IPv4/IPv6 pings (big
# enough to fragment) from the other, all through testpmd and captured by
# dpdkscope on port 0 (rx and tx: every packet once). It is cached as
# /var/tmp/dpdkscope-bench-decode.pcapng and reused unless --regenerate.
#
# Usage: Scripts/bench-decode.sh [SECONDS] [--regenerate]   (root; SECONDS
#        of load, default 50: ~22k packets/s on a 2-vCPU VM, so ~1.1 M)
# Output: a Markdown table on stdout, raw timings and counters on stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=/var/tmp/dpdkscope-bench-decode.pcapng
prefix=dpdkscope-bd seconds=50 regenerate=0
for arg in "$@"; do
    case $arg in
    --regenerate) regenerate=1 ;;
    *[!0-9]* | '' | 0) echo "usage: $0 [SECONDS] [--regenerate]" >&2; exit 64 ;;
    *) seconds=$arg ;;
    esac
done
say() { echo "bench-decode: $*" >&2; }
die() { say "$*"; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (testbed, namespaces, apt)"

work=$(mktemp -d /tmp/dpdkscope-bench-decode.XXXXXX)
partial="" pids=() # pids: everything we start in the background, stopped and reaped on exit
teardown() {
    local pid
    # TERM, not INT: background jobs of a script start with SIGINT ignored.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    "$root/Scripts/testbed.sh" stop --prefix "$prefix" || true
}
cleanup() {
    teardown
    if [[ -n $partial && -f $partial ]]; then rm -f -- "$partial"; fi
    rm -rf -- "$work"
}
trap cleanup EXIT

# setup.sh brings DPDK, tshark/capinfos, dig, dnsmasq and hugepages; the
# load generators and tcpdump are only this benchmark's.
"$root/Scripts/setup.sh" >/dev/null
missing=()
for p in nginx wrk tcpdump; do
    if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then missing+=("$p"); fi
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1 ||
        { tail -n 20 "$work/apt.log" >&2; die "apt-get install failed"; }
fi
cd "$root"
swift build -c release --product dpdkscope >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log" >&2; die "build failed"; }
scope=$root/.build/release/dpdkscope

make_pcap() {
    local info a b ia ib ipb v6b cap
    say "generating $cache: ${seconds}s of load through the tap testbed"
    "$root/Scripts/testbed.sh" stop --prefix "$prefix" # a previous run killed hard
    info=$("$root/Scripts/testbed.sh" start --shape tap --prefix "$prefix")
    kv() { sed -n "s/^$1=//p" <<<"$info"; }
    a=$(kv netns-a) b=$(kv netns-b) ia=$(kv iface-a) ib=$(kv iface-b) ipb=$(kv ip-b)
    v6b=fd00:199::2 # IPv6 too, so the file is not IPv4-only; nodad: usable at once
    ip -n "$a" addr add fd00:199::1/64 dev "$ia" nodad
    ip -n "$b" addr add "$v6b/64" dev "$ib" nodad

    # Throwaway nginx: own prefix, config, pid and error log (-e), so the
    # system's nginx setup is never read or written. Workers run as nobody.
    mkdir -p "$work/www" "$work/tmp"; chmod 755 "$work" "$work/www"
    head -c 300 /dev/urandom | base64 >"$work/www/index.html"
    head -c 3000 /dev/urandom | base64 >"$work/www/4k.txt"
    head -c 16000 /dev/urandom >"$work/www/16k.bin"
    cat >"$work/nginx.conf" <<EOF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.log warn;
events { worker_connections 4096; }
http { access_log off; default_type application/octet-stream; keepalive_requests 1000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen $ipb:8080 backlog=4096; listen [$v6b]:8080; root $work/www; } }
EOF
    ip netns exec "$b" nginx -p "$work" -c "$work/nginx.conf" -e "$work/nginx.log" & pids+=($!)
    ip netns exec "$b" dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$ipb" --address=/#/10.9.9.9 --pid-file="$work/dnsmasq.pid" \
        --log-facility="$work/dnsmasq.log" & pids+=($!)
    # Wrk rotates paths on the short connections: several sizes and a 404.
    printf '%s\n' 'local p = {"/", "/4k.txt", "/16k.bin", "/missing"}' 'local i = 0' \
        'request = function() i = i % #p + 1; return wrk.format(nil, p[i]) end' >"$work/paths.lua"
    seq 1 100000 | awk -v s="$ipb" '{ printf "@%s +tries=1 +time=1 +short host%d.bench.test %s\n", s, $1, ($1 % 3 ? "A" : "AAAA") }' >"$work/dig.batch"
    ip netns exec "$a" curl -sf -o /dev/null --retry 4 --retry-connrefused "http://$ipb:8080/" ||
        { cat "$work/nginx.log" >&2; die "nginx does not answer"; }

    partial=$(mktemp /var/tmp/dpdkscope-bench-decode.XXXXXX.pcapng)
    "$scope" capture --file-prefix "$prefix" -i 0 --both -w "$partial" -a "duration:$((seconds + 3))" -q --json-summary \
        2>"$work/capture.err" & cap=$!; pids+=($!)
    sleep 1.5 # attach (EAL init) takes about a second; traffic before that is not seen
    kill -0 "$cap" 2>/dev/null || { cat "$work/capture.err" >&2; die "capture failed to start"; }
    # The load ends ~1.5 s before the capture does, so waiting for it suffices.
    ip netns exec "$a" wrk -t1 -c32 -d "${seconds}s" "http://$ipb:8080/" >"$work/wrk-keepalive.txt" & pids+=($!)
    ip netns exec "$a" wrk -t1 -c16 -d "${seconds}s" -H 'Connection: close' -s "$work/paths.lua" \
        "http://$ipb:8080/" >"$work/wrk-close.txt" & pids+=($!)
    ip netns exec "$a" wrk -t1 -c4 -d "${seconds}s" "http://[$v6b]:8080/4k.txt" >"$work/wrk-v6.txt" & pids+=($!)
    timeout "$seconds" ip netns exec "$a" dig -f "$work/dig.batch" >/dev/null & pids+=($!)
    timeout "$seconds" ip netns exec "$a" ping -q -i 0.02 -s 3000 "$ipb" >/dev/null & pids+=($!)
    timeout "$seconds" ip netns exec "$a" ping -6 -q -i 0.05 -s 2000 "$v6b" >/dev/null & pids+=($!)
    wait "$cap" || { cat "$work/capture.err" >&2; die "capture failed"; }
    grep -H 'Requests/sec' "$work"/wrk-*.txt | sed 's|^.*/wrk-\(.*\)\.txt:|bench-decode: wrk \1 |' >&2
    tail -n 1 "$work/capture.err" >&2
    [[ -s $partial ]] || die "capture wrote nothing"
    mv -f -- "$partial" "$cache"; partial=""
    teardown # before timing: testpmd busy-polls a whole core
}

if ((regenerate)) || [[ ! -s $cache ]]; then make_pcap; else say "reusing $cache (--regenerate to make a new one)"; fi
packets=$(capinfos -T -r -c -M "$cache" | cut -f2)
[[ $packets =~ ^[0-9]+$ ]] || die "capinfos could not count $cache"
cat "$cache" >/dev/null # page cache warm for every tool alike

# What the file holds, by dpdkscope's counters (--flows: flow events, not packet lines).
counters=$("$scope" read "$cache" --flows --stats | tail -n 1)
say "counters: $counters"
lines=$("$scope" read "$cache" | wc -l)
say "capinfos packets=$packets; 'read' printed $lines lines"
# packets= counts frames (a reassembled datagram is not counted again).
decodes=$(awk -v c="$counters" 'BEGIN { n = split(c, f, /[ =]/); for (i = 1; i < n; i += 2) v[f[i]] = f[i + 1]
    print v["packets"] }')
if [[ $decodes != "$packets" ]]; then say "WARNING: dpdkscope saw $decodes frames, capinfos $packets"; fi

# Two dpdkscope modes are timed: packet lines (the like-for-like match for
# tcpdump) and flow events + counters (for tshark's conversation table).
names=("dpdkscope read --flows --stats" "dpdkscope read > /dev/null" "tcpdump -r -nn -q > /dev/null" "tshark -r -q -z conv,tcp")
run() { # run INDEX: one pass of tool INDEX, output discarded
    case $1 in
    0) "$scope" read "$cache" --flows --stats ;;
    1) "$scope" read "$cache" ;;
    2) tcpdump -r "$cache" -nn -q ;;
    3) tshark -r "$cache" -q -z conv,tcp ;;
    esac >/dev/null 2>>"$work/tools.err"
}
TIMEFORMAT='%3R %3U %3S' # bash's time keyword: wall, user, sys in ms
best=() cpu=()
for round in 1 2 3; do # interleaved, so background noise hits every tool alike
    for i in "${!names[@]}"; do
        { time run "$i"; } 2>"$work/time" || { tail -n 5 "$work/tools.err" >&2; die "${names[$i]} failed"; }
        read -r wall user sys <"$work/time"
        say "round $round: ${names[$i]}: wall=${wall}s user=${user}s sys=${sys}s"
        if [[ -z ${best[$i]:-} ]] || awk -v a="$wall" -v b="${best[$i]}" 'BEGIN { exit !(a < b) }'; then
            best[i]=$wall cpu[i]=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
        fi
    done
done

echo "| run | packets | wall s (best of 3) | CPU s (that run) | Mpps | × vs tcpdump | × vs tshark |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
    awk -v n="${names[$i]}" -v p="$packets" -v s="${best[$i]}" -v c="${cpu[$i]}" -v td="${best[2]}" -v ts="${best[3]}" \
        'BEGIN { printf "| `%s` | %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", n, p, s, c, p / s / 1e6, td / s, ts / s }'
done
echo
echo "counters: \`$counters\`"
