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

# The second platform: the same tests against DPDK 24.11 (Debian 13's
# testpmd) in a root Scripts/trixie.sh builds under .trixie/, plus the
# cross-release refusal check. Only the DNS and HTTP edge-case oracle suites
# of hand-packed captures are skipped there: they compare with tshark 4.0's
# fields (Debian 12's), which tshark 4.4 names and decodes differently, and
# they test no DPDK code (they run in full on Debian 12 above).
# DPDKSCOPE_SKIP_TRIXIE=1 runs Debian 12 alone.
if [[ ${DPDKSCOPE_SKIP_TRIXIE:-} != 1 ]]; then
    oracles='DNS(Edge)?OracleTests|HTTPEdgeOracleTests'
    if (($#)); then
        Scripts/trixie.sh all --skip "$oracles" "$@"
    else
        Scripts/trixie.sh all --skip "$oracles|$integration"
        Scripts/trixie.sh suite --filter "$integration"
    fi
fi
