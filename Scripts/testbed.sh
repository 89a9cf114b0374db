#!/usr/bin/env bash
# testbed.sh — run Debian's unmodified dpdk-testpmd as a DPDK primary in the
# background, for dpdkscope (a pdump secondary) to attach to.
#
# Usage:
#   testbed.sh start [--shape null|pcap|tap] [--prefix NAME] [--rxq N] [--txq N]
#                    [--cores LIST] [--mem MB] [--pcap FILE]
#                    [--ip-a ADDR[/LEN]] [--ip-b ADDR[/LEN]]
#                    [--stats-period S] [--timeout S]
#   testbed.sh stop   [--prefix NAME]
#   testbed.sh status [--prefix NAME]
#
# Shapes (always 2 ports, io forwarding port 0 <-> port 1):
#   null  two net_null ports forwarding at full rate (default)
#   pcap  port 0 replays FILE forever (net_pcap infinite_rx), port 1 is a
#         silent sink (net_null no-rx=1); single queue only
#   tap   two net_tap ports whose kernel interfaces live in namespaces
#         PREFIX-a / PREFIX-b (10.199.0.1/24, 10.199.0.2/24), so traffic
#         between the namespaces goes through testpmd
#
# start prints key=value lines on stdout once the primary is ready:
#   file-prefix= pid= shape= ports= rxq= txq= cores= [pcap=]
#   dumpcap-preload= (LD_PRELOAD an unaligned secondary such as dpdk-dumpcap
#   needs, see below; dpdkscope aligns its mempool ops table itself)
#   log= runtime-dir=
#   and for tap: netns-a= netns-b= iface-a= iface-b= ip-a= ip-b=
# Diagnostics go to stderr. status prints status=running|dead|stopped and,
# when running, the same lines.
#
# Exit codes: 0 ok; 1 failure (testpmd died or was not ready in time, prefix
# busy, ...); 2 not root; 3 status: not running; 64 usage error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HUGEPAGES=$here/../hugepages/hugepages.sh
# DPDKSCOPE_TESTPMD: another release's testpmd (Scripts/dpdk-source.sh test).
readonly TESTPMD=${DPDKSCOPE_TESTPMD:-/usr/bin/dpdk-testpmd}
readonly STATE_ROOT=/run/dpdkscope-testbed
readonly DPDK_RUN=/var/run/dpdk

prefix=dpdkscope-tb
shape=null
rxq=1
txq=1
cores=0-1
mem=256
pcap=$here/data/demo.pcap
ip_a=10.199.0.1/24
ip_b=10.199.0.2/24
stats_period=5
timeout=20

say() { echo "testbed: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { say "usage: $0 start|stop|status [options] (see header of $0)"; exit 64; }

parse_opts() {
    while (($#)); do
        (($# >= 2)) || { say "option $1 needs a value"; usage; }
        case $1 in
        --prefix) prefix=$2 ;;
        --shape) shape=$2 ;;
        --rxq) rxq=$2 ;;
        --txq) txq=$2 ;;
        --cores) cores=$2 ;;
        --mem) mem=$2 ;;
        --pcap) pcap=$2 ;;
        --ip-a) ip_a=$2 ;;
        --ip-b) ip_b=$2 ;;
        --stats-period) stats_period=$2 ;;
        --timeout) timeout=$2 ;;
        *) say "unknown option $1"; usage ;;
        esac
        shift 2
    done
    # The prefix names files, a runtime dir, namespaces and interfaces.
    [[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$ ]] ||
        die "--prefix must be 1-40 of [A-Za-z0-9_-], got '$prefix'"
    state=$STATE_ROOT/$prefix
}

# Interface names are limited to 15 characters: PREFIX-a when it fits,
# otherwise the prefix shortened plus a hash of it, to stay unique.
ifname() { # ifname a|b
    if ((${#prefix} <= 13)); then
        echo "$prefix-$1"
    else
        echo "${prefix:0:6}$(printf %s "$prefix" | md5sum | cut -c1-7)-$1"
    fi
}

# Alive and not a zombie (an orphaned testpmd may never be reaped if PID 1
# does not reap, as in some containers).
alive() { # alive PID
    local st
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $st != Z ]]
}

# A pid counts only if it still is the dpdk-testpmd for our prefix, so a
# recycled pid is never signalled.
is_our_testpmd() { # is_our_testpmd PID
    local args
    alive "$1" || return 1
    args=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null) || return 1
    [[ $args == "$TESTPMD"$'\n'* ]] && grep -qx -- "--file-prefix=$prefix" <<<"$args"
}

# SIGTERM makes testpmd stop forwarding, close its ports (removing the tap
# interfaces) and exit, usually within 1 s. (Not SIGINT: a background job
# ignores it until testpmd has installed its handler.) SIGKILL as a last
# resort after 5 s.
terminate() { # terminate PID
    local i
    kill -TERM "$1" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    say "pid $1 ignored SIGTERM for 5 s, sending SIGKILL"
    kill -KILL "$1" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
}

state_pid() { cat "$state/pid" 2>/dev/null || true; }

pcap_packets() { # packet count; the file size is a safe upper bound
    local n
    n=$(capinfos -T -r -c "$1" 2>/dev/null | cut -f2)
    if [[ $n =~ ^[0-9]+$ ]]; then echo "$n"; else stat -c %s "$1"; fi
}

# Mempool drivers are indexed in registration order, per process. Debian's
# testpmd links librte_mempool_dpaa, so its order differs from a process
# that loads drivers only as plugins, and a pdump secondary's mempool would
# resolve to the wrong driver in the primary (testpmd then floods
# "fslmc: ... portal" errors and dies). dpdk-dumpcap must LD_PRELOAD these;
# dpdkscope reorders its own ops table to match the primary's instead.
secondary_preload() {
    ldd "$TESTPMD" | awk '$1 ~ /^librte_mempool_/ { print $1 }' | paste -sd:
}

count_lcores() { # count_lcores 0-1,3 -> 3
    local n=0 part parts
    IFS=, read -ra parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then
            n=$((n + ${part#*-} - ${part%-*} + 1))
        else
            n=$((n + 1))
        fi
    done
    echo "$n"
}

# Make sure the primary will find hugepages: reserve more only when fewer
# than --mem MB are free, so a working setup is left alone.
ensure_hugepages() {
    local free total need
    free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
    total=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || echo 0)
    need=$(((mem + 1) / 2))
    if ((free < need)) || ! grep -qw hugetlbfs /proc/mounts; then
        say "only $free hugepages free, reserving more"
        "$HUGEPAGES" reserve "$((total - free + need > 512 ? total - free + need : 512))" >/dev/null ||
            die "could not reserve hugepages"
    fi
}

cleanup() { # undo everything a start made; safe to repeat
    local ns m
    while read -r ns; do
        ip netns del "$ns" 2>/dev/null || true
    done < <(cat "$state/netns" 2>/dev/null)
    rm -rf "${DPDK_RUN:?}/$prefix"
    # A DPDK primary leaves its hugepage files behind on exit; they hold
    # the pages until deleted.
    while read -r m; do
        rm -f "$m/${prefix}map_"[0-9]*
    done < <(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts)
    rm -rf "$state"
}

cmd_stop() {
    local pid
    [[ -d $state ]] || return 0 # nothing of ours: quietly done
    pid=$(state_pid)
    if is_our_testpmd "$pid"; then
        terminate "$pid"
    elif alive "$pid"; then
        say "pid $pid is no longer dpdk-testpmd for '$prefix'; not signalling it"
    fi
    cleanup
}

print_info() { cat "$state/info" 2>/dev/null || echo "status-detail=starting"; }

cmd_status() {
    local pid
    if [[ ! -d $state ]]; then
        echo "status=stopped"
        return 3
    fi
    pid=$(state_pid)
    if is_our_testpmd "$pid"; then
        echo "status=running"
        print_info
    else
        echo "status=dead"
        say "testpmd for '$prefix' (pid ${pid:-?}) is gone; last log lines:"
        log_tail 5
        return 1
    fi
}

# Put each tap interface into its own namespace, address it and bring it up.
# (Called as 'setup_netns || ...', where set -e is off: hence the returns.)
setup_netns() {
    local side ns dev addr
    for side in a b; do
        ns=$prefix-$side
        dev=$(ifname "$side")
        addr=$ip_a
        [[ $side == b ]] && addr=$ip_b
        ip netns add "$ns" || return 1
        echo "$ns" >>"$state/netns" # recorded at once, so stop removes it
        ip link set "$dev" netns "$ns" || return 1
        ip -n "$ns" link set lo up || return 1
        ip -n "$ns" addr add "$addr" dev "$dev" || return 1
        ip -n "$ns" link set "$dev" up || return 1
    done
}

# Prove the data path: a ping from A to B must cross testpmd. Forget the ARP
# entries it made so captures start from a clean slate.
check_tap_path() {
    local i
    for ((i = 0; i < 5; i++)); do
        if ip netns exec "$prefix-a" ping -q -c 1 -W 1 "${ip_b%/*}" >/dev/null 2>&1; then
            ip -n "$prefix-a" neigh flush all
            ip -n "$prefix-b" neigh flush all
            return 0
        fi
    done
    return 1
}

# The last N telling lines of the log, on stderr. Indented lines are the
# periodic stats, or the usage text EAL prints after a bad argument.
log_tail() { # log_tail N
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$state/log" 2>/dev/null |
        grep -v -E '^[[:space:]]|^Usage|^EAL common|^EAL .*options|^Port statistics|^$' |
        tail -n "$1" >&2 || true
}

fail_start() { # fail_start MESSAGE — report, show the log tail, undo
    say "$1; from $state/log:"
    log_tail 12
    # Our own child: maybe not yet exec'd into testpmd, so do not insist
    # on its command line the way stop does.
    alive "$pid" && terminate "$pid"
    cmd_stop
    exit 1
}

cmd_start() {
    local lcores mbufs pid deadline users eal app v side
    [[ $shape =~ ^(null|pcap|tap)$ ]] || die "--shape must be null, pcap or tap"
    for v in rxq txq mem stats_period timeout; do
        [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v/_/-} must be a positive integer"
    done
    [[ $cores =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || die "--cores must be an lcore list like 0-1"
    lcores=$(count_lcores "$cores")
    ((lcores >= 2)) || die "--cores needs 2+ lcores: the first is the main lcore, the rest forward"
    [[ -x $TESTPMD ]] || die "$TESTPMD missing (apt-get install dpdk-dev, or run Scripts/setup.sh)"
    if [[ $shape == pcap ]]; then
        # infinite_rx works only with a single rx queue per net_pcap port.
        ((rxq == 1 && txq == 1)) || die "--shape pcap supports only --rxq 1 --txq 1"
        [[ -r $pcap ]] || die "cannot read pcap file '$pcap'"
        pcap=$(realpath "$pcap")
    fi
    [[ $ip_a == */* ]] || ip_a=$ip_a/24
    [[ $ip_b == */* ]] || ip_b=$ip_b/24

    # Refuse to disturb a live primary: ours (state dir) or anyone's
    # (a process holding the prefix's shared config).
    if [[ -d $state ]]; then
        pid=$(state_pid)
        is_our_testpmd "$pid" && die "prefix '$prefix' already running (pid $pid); run: $0 stop --prefix $prefix"
        say "cleaning up after a dead testbed '$prefix' (pid ${pid:-?})"
        cmd_stop
    fi
    users=$(fuser "$DPDK_RUN/$prefix/config" 2>/dev/null | tr -s ' ' || true)
    [[ -z ${users// /} ]] || die "prefix '$prefix' is in use by pid(s)${users}; pick another --prefix"
    if [[ $shape == tap ]]; then
        for side in a b; do
            [[ ! -e /run/netns/$prefix-$side ]] || die "netns $prefix-$side already exists"
            ! ip link show "$(ifname "$side")" >/dev/null 2>&1 || die "interface $(ifname "$side") already exists"
        done
    fi
    ensure_hugepages

    # Small mbuf pool: testpmd's default (~155k mbufs, 340 MB) would not fit
    # --mem. Room for every rx descriptor of every queue plus caches, and
    # for pcap the whole file, which net_pcap preloads for infinite_rx.
    mbufs=$((8192 + 2 * 2048 * (rxq > txq ? rxq : txq)))
    if [[ $shape == pcap ]]; then
        mbufs=$((mbufs + $(pcap_packets "$pcap")))
    fi

    eal=(-l "$cores" -m "$mem" --no-pci --proc-type=primary "--file-prefix=$prefix")
    case $shape in
    null) eal+=(--vdev net_null0 --vdev net_null1) ;;
    pcap) eal+=(--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev "net_null0,no-rx=1") ;;
    tap) eal+=(--vdev "net_tap0,iface=$(ifname a)" --vdev "net_tap1,iface=$(ifname b)") ;;
    esac
    # Without a tty testpmd must not be interactive: --auto-start plus
    # --stats-period keeps it in its stats loop until SIGINT/SIGTERM (with
    # stdin at EOF and no stats period it would exit at once).
    app=(--forward-mode=io --auto-start "--stats-period=$stats_period"
        "--nb-cores=$((lcores - 1))" "--rxq=$rxq" "--txq=$txq" "--total-num-mbufs=$mbufs")
    # Flushing an endless pcap rx queue at start would spin for a second.
    [[ $shape == pcap ]] && app+=(--no-flush-rx)

    mkdir -p "$state"
    echo "$shape" >"$state/shape"
    : >"$state/netns"
    : >"$state/log" # exists before the background job opens it: no race
    # setsid: own session, so the caller's Ctrl-C or exit does not reach it.
    # stdbuf -oL: line-buffered log, so readiness shows up immediately.
    setsid stdbuf -oL -eL "$TESTPMD" "${eal[@]}" -- "${app[@]}" </dev/null >"$state/log" 2>&1 &
    pid=$!
    echo "$pid" >"$state/pid"
    trap 'fail_start "interrupted"' INT TERM

    # Ready = forwarding started (testpmd prints the forwarding config
    # right before launching the lcores) and the files a secondary needs
    # to attach exist.
    deadline=$((SECONDS + timeout))
    until grep -q 'packet forwarding - ports=' "$state/log" &&
        [[ -e $DPDK_RUN/$prefix/config && -S $DPDK_RUN/$prefix/mp_socket ]]; do
        alive "$pid" || fail_start "testpmd exited during start-up"
        ((SECONDS < deadline)) || fail_start "testpmd not ready after ${timeout}s"
        sleep 0.2
    done
    if [[ $shape == tap ]]; then
        setup_netns || fail_start "namespace setup failed"
        check_tap_path || fail_start "no ping reply from ${ip_b%/*} through testpmd"
    fi

    {
        echo "file-prefix=$prefix"
        echo "pid=$pid"
        echo "shape=$shape"
        echo "ports=2"
        echo "rxq=$rxq"
        echo "txq=$txq"
        echo "cores=$cores"
        [[ $shape == pcap ]] && echo "pcap=$pcap"
        if [[ $shape == tap ]]; then
            echo "netns-a=$prefix-a"
            echo "netns-b=$prefix-b"
            echo "iface-a=$(ifname a)"
            echo "iface-b=$(ifname b)"
            echo "ip-a=${ip_a%/*}"
            echo "ip-b=${ip_b%/*}"
        fi
        echo "dumpcap-preload=$(secondary_preload)"
        echo "log=$state/log"
        echo "runtime-dir=$DPDK_RUN/$prefix"
    } >"$state/info"
    trap - INT TERM
    print_info
}

cmd=${1:-}
(($#)) && shift
case $cmd in
start | stop | status) ;;
*) usage ;;
esac
parse_opts "$@"
[[ $EUID -eq 0 || $cmd == status ]] || { say "$cmd needs root"; exit 2; }
"cmd_$cmd"
