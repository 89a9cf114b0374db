#!/usr/bin/env bash
# test.sh — the project's one test command (README.md, .ci/run).
# Installs what the tests need (Scripts/setup.sh: apt packages, hugepages),
# builds, then runs every unit and integration test, against Debian 12's DPDK
# 22.11 and then DPDK 24.11 in a Debian 13 root (Scripts/trixie.sh).
# Integration tests drive the real dpdk-testpmd, so this runs as root; here a
# missing prerequisite fails the run instead of skipping tests
# (DPDKSCOPE_REQUIRE_INTEGRATION=1).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null || { echo "test: no Swift toolchain on PATH" >&2; exit 1; }

Scripts/setup.sh
swift build --build-tests
export DPDKSCOPE_REQUIRE_INTEGRATION=1 DPDKSCOPE_BIN=$root/.build/debug/dpdkscope
# Without arguments: every other test first, then the testbed suite
# (`Integration`, serialized) alone, so that no other suite's processes
# compete with testpmd and the captures for the two cores.
integration='IntegrationTests\.Integration/'
if (($#)); then
    swift test --skip-build "$@"
else
    swift test --skip-build --skip "$integration"
    swift test --skip-build --filter "$integration"
fi

# Disk room for the Debian 13 stage (measured 2026-12-06: its root 2.2 GiB
# once apt's downloads are cleaned, 2.7 GiB while they are unpacked; its build
# 1.4 GiB). The disk is shared with other machines and its free space varies:
# one CI run ran out in the middle of the root. Where it is short, Debian 12's
# build makes room first, all but the binary the cross-release check runs
# (the next `swift build` starts over); where that is not enough and memory
# is (24 GiB here), a new root goes on a tmpfs over .trixie for this run
# only (whatever .trixie held is hidden, not deleted). DPDKSCOPE_TRIXIE_NEED_MB
# overrides the estimate.
trixie_tmpfs=0
disk_free() { df -Pm . | awk 'NR == 2 { print $4 }'; }
make_room_for_trixie() {
    local need=${DPDKSCOPE_TRIXIE_NEED_MB:-0} root_need=2800 free bin memory
    if ((need == 0)); then
        [[ -e .trixie/.packages ]] || need=$((need + root_need))
        [[ -x .build-trixie/debug/dpdkscope ]] || need=$((need + 1500))
        need=$((need + 500)) # logs, test files, the testbed's captures
    fi
    free=$(disk_free)
    ((free < need)) || return 0
    if [[ -x .build/debug/dpdkscope ]]; then
        bin=$(readlink -f .build/debug)
        echo "test: $free MiB free, the Debian 13 stage needs about $need: removing Debian 12's build but for $bin/dpdkscope" >&2
        find .build -mindepth 1 -maxdepth 1 ! -name debug ! -name "$(basename "$(dirname "$bin")")" -exec rm -rf {} +
        find "$bin" -mindepth 1 -maxdepth 1 ! -name dpdkscope -exec rm -rf {} +
        find "$(dirname "$bin")" -mindepth 1 -maxdepth 1 ! -name "$(basename "$bin")" -exec rm -rf {} +
        free=$(disk_free)
        ((free < need)) || return 0
    fi
    memory=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
    if [[ ! -e .trixie/.packages ]] && ! mountpoint -q .trixie && ((memory > root_need + 12288)); then
        echo "test: $free MiB free: the Debian 13 root goes on a tmpfs for this run ($memory MiB of memory available)" >&2
        mkdir -p .trixie
        mount -t tmpfs -o size=$((root_need + 1024))m,mode=755 dpdkscope-trixie .trixie
        trixie_tmpfs=1
        return 0
    fi
    echo "test: still only $free MiB free of about $need: the Debian 13 stage may run out of disk" >&2
}
drop_trixie_tmpfs() {
    ((trixie_tmpfs)) || return 0
    umount .trixie 2>/dev/null || umount -l .trixie
}
trap drop_trixie_tmpfs EXIT

# The second platform: the same tests against DPDK 24.11 (Debian 13's
# testpmd) in a root Scripts/trixie.sh builds under .trixie/, plus the
# cross-release refusal check. Only the DNS and HTTP edge-case oracle suites
# of hand-packed captures are skipped there: they compare with tshark 4.0's
# fields (Debian 12's), which tshark 4.4 names and decodes differently, and
# they test no DPDK code (they run in full on Debian 12 above).
# DPDKSCOPE_SKIP_TRIXIE=1 runs Debian 12 alone.
if [[ ${DPDKSCOPE_SKIP_TRIXIE:-} != 1 ]]; then
    make_room_for_trixie
    oracles='DNS(Edge)?OracleTests|HTTPEdgeOracleTests'
    if (($#)); then
        Scripts/trixie.sh all --skip "$oracles" "$@"
    else
        Scripts/trixie.sh all --skip "$oracles|$integration"
        Scripts/trixie.sh suite --filter "$integration"
    fi
fi
