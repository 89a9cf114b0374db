#!/usr/bin/env bash
# hugepages.sh — reserve, inspect and release 2 MiB hugepages for DPDK.
#
# Usage:
#   hugepages.sh reserve [COUNT]    ensure at least COUNT pages are reserved
#                                   (default: $HUGEPAGES_COUNT, else 512) and
#                                   that a hugetlbfs mount exists
#                                   (mounts /dev/hugepages if none does)
#   hugepages.sh status             size/total/free and mount points, as
#                                   key=value lines; needs no root
#   hugepages.sh release [--force]  give every page back to the kernel
#
# reserve and release are idempotent: with nothing to do they say so and
# exit 0. reserve never lowers an existing, larger reservation.
#
# Exit codes:
#   0  done, or nothing to do
#   1  the kernel refused or granted fewer pages; mount or sysfs write failed
#   2  not root (reserve, release)
#   3  release refused: pages are still in use (stop the DPDK app, or --force)
#  64  usage error
set -euo pipefail

readonly SIZE_KB=2048
readonly SYSFS=/sys/kernel/mm/hugepages/hugepages-${SIZE_KB}kB
readonly DEFAULT_MOUNT=/dev/hugepages

die() { # die CODE MESSAGE — one line on stderr, then exit
    echo "hugepages: $2" >&2
    exit "$1"
}
need_root() { [[ $EUID -eq 0 ]] || die 2 "$1 needs root (try: sudo $0 $1)"; }
usage() { die 64 "usage: $0 reserve [COUNT] | status | release [--force]"; }

read_sysfs() { # read_sysfs FILE — value of a per-size counter
    [[ -r $SYSFS/$1 ]] || die 1 "no ${SIZE_KB} kB hugepage support ($SYSFS missing)"
    cat "$SYSFS/$1"
}
total_pages() { read_sysfs nr_hugepages; }
free_pages() { read_sysfs free_hugepages; }

# hugetlbfs mounts serving 2 MiB pages (an explicit pagesize=2M, or none,
# which means the default size, 2 MiB on x86_64).
mounts() {
    awk '$3 == "hugetlbfs" && ($4 ~ /pagesize=2M/ || $4 !~ /pagesize=/) { print $2 }' /proc/mounts
}

# Pids of processes with a hugetlbfs file mapped: DPDK apps hold their
# memory this way, so these are what "in use" means.
users() {
    local m
    for m in $(mounts); do
        grep -l -F -- "$m/" /proc/[0-9]*/maps 2>/dev/null || true
    done | cut -d/ -f3 | sort -un | paste -sd' '
}

set_total() { # set_total N — ask the kernel; report a refused write
    # 2>/dev/null comes first so that a failing >file is silenced too.
    printf '%s\n' "$1" 2>/dev/null >"$SYSFS/nr_hugepages" ||
        die 1 "kernel refused to set nr_hugepages=$1 (read-only sysfs? container without privileges?)"
}

ensure_mount() {
    [[ -n $(mounts) ]] && return 0
    mkdir -p "$DEFAULT_MOUNT"
    mount -t hugetlbfs -o pagesize=2M nodev "$DEFAULT_MOUNT" 2>/dev/null ||
        die 1 "could not mount hugetlbfs at $DEFAULT_MOUNT"
}

cmd_reserve() {
    local want=${1:-${HUGEPAGES_COUNT:-512}} before got
    [[ $want =~ ^[1-9][0-9]*$ ]] || die 64 "COUNT must be a positive integer, got '$want'"
    need_root reserve
    before=$(total_pages)
    if ((before < want)); then
        # Refuse up front rather than let the kernel grab all free memory
        # (starving everything else) only to find it is not enough.
        local avail_kb need_kb
        avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
        need_kb=$(((want - before) * SIZE_KB))
        ((need_kb <= avail_kb)) ||
            die 1 "cannot reserve $want pages: needs $((need_kb / 1024)) MiB more, only $((avail_kb / 1024)) MiB available"
        set_total "$want"
        got=$(total_pages)
        if ((got < want)); then
            # Usually fragmentation: compacting memory often frees enough
            # contiguous 2 MiB blocks for a second attempt to succeed.
            echo 1 2>/dev/null >/proc/sys/vm/compact_memory || true
            set_total "$want"
            got=$(total_pages)
        fi
        if ((got < want)); then
            set_total "$before" # leave the system as we found it
            die 1 "kernel granted only $got of $want ${SIZE_KB} kB pages (not enough free memory); kept $before"
        fi
    fi
    ensure_mount
    echo "hugepages: total=$(total_pages) free=$(free_pages) size_kb=$SIZE_KB mount=$(mounts | paste -sd,)"
}

cmd_status() {
    local m
    echo "size_kb=$SIZE_KB"
    echo "total=$(total_pages)"
    echo "free=$(free_pages)"
    for m in $(mounts); do echo "mount=$m"; done
}

cmd_release() {
    local force=0 t f pids
    case ${1:-} in
    --force) force=1 ;;
    "") ;;
    *) usage ;;
    esac
    need_root release
    t=$(total_pages)
    f=$(free_pages)
    if ((t == 0)); then
        echo "hugepages: nothing reserved"
        return 0
    fi
    if ((f < t && !force)); then
        pids=$(users)
        if [[ -n $pids ]]; then
            die 3 "$((t - f)) of $t pages in use by running pid(s) $pids; stop them first or use --force"
        fi
        # No process maps them: files a DPDK primary left behind on exit.
        die 3 "$((t - f)) of $t pages held by leftover files in $(mounts | paste -sd' '); remove them or use --force"
    fi
    set_total 0
    # Pages in use cannot be taken away; the kernel frees them later.
    t=$(total_pages)
    if ((t > 0)); then
        echo "hugepages: released; $t page(s) still in use, freed when their owners go" >&2
    else
        echo "hugepages: released"
    fi
}

case ${1:-} in
reserve) shift; (($# <= 1)) || usage; cmd_reserve "$@" ;;
status) (($# == 1)) || usage; cmd_status ;;
release) shift; (($# <= 1)) || usage; cmd_release "$@" ;;
*) usage ;;
esac
