#!/usr/bin/env bash
# test.sh — the project's one test command (README.md, .ci/run).
# Installs what the tests need (Scripts/setup.sh: apt packages, hugepages),
# builds, then runs every unit and integration test. Integration tests drive
# the real dpdk-testpmd, so this runs as root; here a missing prerequisite
# fails the run instead of skipping tests (DPDKSCOPE_REQUIRE_INTEGRATION=1).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null || { echo "test: no Swift toolchain on PATH" >&2; exit 1; }

Scripts/setup.sh
swift build --build-tests
export DPDKSCOPE_REQUIRE_INTEGRATION=1
export DPDKSCOPE_BIN=$root/.build/debug/dpdkscope
swift test --skip-build "$@"
