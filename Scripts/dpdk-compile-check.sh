#!/usr/bin/env bash
# dpdk-compile-check.sh — check that the C shim and the Swift code over it
# (the CDPDK and ScopeDPDK targets) compile against DPDK releases that no
# Debian we test on ships, e.g. 23.11 and 25.11. Compile only: no DPDK
# libraries are built, so nothing is linked or run.
#
# For each release it exports the tag's sources into .dpdk-src/VERSION
# (ignored by git), lets DPDK's meson configure them (which generates
# rte_build_config.h; meson, ninja and pyelftools come from PyPI into
# .dpdk-src/venv), writes a libdpdk.pc naming the source tree's header
# directories, and builds the two targets with that .pc first on
# PKG_CONFIG_PATH (scratch path .build-dpdkVERSION, e.g. .build-dpdk2511).
#
# Usage: Scripts/dpdk-compile-check.sh [VERSION...]   (default: 23.11 25.11)
# Env: DPDK_GIT — a DPDK git repository (directory or URL) holding the tags
#      vVERSION (default https://github.com/DPDK/dpdk.git).
# Exit codes: 0 every release compiled; 1 a release failed (its log is
#   named); 64 usage error.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$repo/.dpdk-src
git_source=${DPDK_GIT:-https://github.com/DPDK/dpdk.git}
versions=("$@")
((${#versions[@]})) || versions=(23.11 25.11)

say() { echo "dpdk-compile-check: $*" >&2; }
for v in "${versions[@]}"; do
    [[ $v =~ ^[0-9]{2}\.[0-9]{2}(\.[0-9]+)?$ ]] || { say "not a DPDK version: '$v'"; exit 64; }
done
if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH=/opt/swift/usr/bin:$PATH
fi
mkdir -p "$work"

if [[ ! -x $work/venv/bin/meson ]]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q meson ninja pyelftools
fi
export PATH=$work/venv/bin:$PATH

# A bare clone once, then `git archive` per tag (a URL cannot be archived).
if [[ -d $git_source ]]; then
    git_dir=$git_source
else
    git_dir=$work/dpdk.git
    [[ -d $git_dir ]] || git clone -q --bare "$git_source" "$git_dir"
fi

failed=0
for v in "${versions[@]}"; do
    src=$work/$v
    log=$work/$v.log
    if [[ ! -e $src/build/rte_build_config.h ]]; then
        rm -rf "$src" && mkdir -p "$src"
        git --git-dir="$git_dir" archive "v$v" | tar -x -C "$src"
        # Only the configure step: it generates the build config header.
        if ! (cd "$src" && meson setup build -Dtests=false -Denable_docs=false \
                -Ddisable_drivers='*/*' -Denable_apps=dumpcap -Dexamples=) >"$log" 2>&1; then
            say "$v: meson setup failed (log: $log)"; failed=1; continue
        fi
    fi
    # Public headers live in each library's own directory in the source tree.
    includes="-I$src/build -I$src/config -I$src/lib/eal/include -I$src/lib/eal/linux/include -I$src/lib/eal/x86/include"
    for d in "$src"/lib/*/; do includes+=" -I${d%/}"; done
    mkdir -p "$work/pc-$v"
    cat >"$work/pc-$v/libdpdk.pc" <<EOF
Name: DPDK
Description: DPDK $v source headers, for a compile check only
Version: $v
Libs: -lrte_pdump -lrte_pcapng -lrte_bpf -lrte_ethdev -lrte_net -lrte_mbuf -lrte_mempool -lrte_ring -lrte_meter -lrte_telemetry -lrte_kvargs -lrte_log -lrte_eal
Cflags: $includes -include rte_config.h -march=corei7
EOF
    scratch=$repo/.build-dpdk${v//./}
    if (cd "$repo" && PKG_CONFIG_PATH=$work/pc-$v swift build --scratch-path "$scratch" --target ScopeDPDK) >>"$log" 2>&1; then
        say "$v: CDPDK and ScopeDPDK compile"
    else
        say "$v: compile failed (log: $log)"; failed=1
    fi
done
exit $failed
