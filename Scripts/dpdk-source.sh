#!/usr/bin/env bash
# dpdk-source.sh — dpdkscope against DPDK releases that no Debian we test on
# ships (23.11 LTS for Ubuntu 24.04 and RHEL 9, 25.11), from DPDK's sources.
#
#   compile [VERSION...]   (default: 23.11 25.11) the C shim and the Swift
#       code over it (the CDPDK and ScopeDPDK targets) compile against the
#       release's headers. No DPDK library is built: meson only configures
#       the sources (which generates rte_build_config.h), and a libdpdk.pc
#       names the source tree's header directories. Scratch path
#       .build-dpdkVERSION (e.g. .build-dpdk2511).
#   test VERSION [swift test args...]   builds the release itself (shared
#       libraries, the bus/mempool/net drivers the testbed uses, testpmd and
#       dumpcap; a few minutes) into .dpdk-src/install-VERSION, builds
#       dpdkscope and its tests against it (scratch .build-dpdkVERSION-run)
#       and runs the integration tests against that release's testpmd
#       (default filter below; pass swift test arguments to change it), with
#       LD_LIBRARY_PATH and DPDKSCOPE_TESTPMD pointing into the install and
#       test prefixes tagged "sVERSION-" so a 22.11 run beside it does not
#       collide.
#
# Sources: the tag vVERSION, exported into .dpdk-src/VERSION (ignored by
# git); meson, ninja and pyelftools come from PyPI into .dpdk-src/venv.
# Env: DPDK_GIT — a DPDK git repository (directory or URL) holding the tags
#      (default https://github.com/DPDK/dpdk.git).
# Exit codes: 0 every release compiled / the tests passed; 1 a release
#   failed (its log is named) or its build failed; 64 usage error;
#   otherwise swift test's exit code.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$repo/.dpdk-src
git_source=${DPDK_GIT:-https://github.com/DPDK/dpdk.git}

say() { echo "dpdk-source: $*" >&2; }
usage() { say "usage: $0 compile [VERSION...] | test VERSION [swift test args...]"; exit 64; }
check_version() {
    [[ $1 =~ ^[0-9]{2}\.[0-9]{2}(\.[0-9]+)?$ ]] || { say "not a DPDK version: '$1'"; exit 64; }
}

mode=${1:-}
(($#)) && shift
versions=()
case $mode in
compile)
    versions=("$@")
    ((${#versions[@]})) || versions=(23.11 25.11)
    for v in "${versions[@]}"; do check_version "$v"; done
    ;;
test)
    (($#)) || usage
    versions=("$1")
    shift
    check_version "${versions[0]}"
    ;;
*) usage ;;
esac

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

# sources VERSION: the tag's tree in $work/VERSION, configured once (the
# configure step generates the build config header the compile check needs).
sources() {
    local v=$1 src=$work/$1
    [[ -e $src/build/rte_build_config.h ]] && return 0
    rm -rf "$src" && mkdir -p "$src"
    git --git-dir="$git_dir" archive "v$v" | tar -x -C "$src"
    (cd "$src" && meson setup build -Dtests=false -Denable_docs=false \
        -Ddisable_drivers='*/*' -Denable_apps=dumpcap -Dexamples=) >"$work/$v.log" 2>&1 ||
        { say "$v: meson setup failed (log: $work/$v.log)"; return 1; }
}

compile_check() {
    local v=$1 src=$work/$1 log=$work/$1.log includes d scratch
    sources "$v" || return 1
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
        say "$v: compile failed (log: $log)"; return 1
    fi
}

# install_release VERSION: the release built and installed into
# $work/install-VERSION (once), with shared libraries as Debian builds it,
# so drivers load as plugins from the install's pmds directory; only the
# drivers and apps the testbed and the tests use.
install_release() {
    local v=$1 src=$work/$1 prefix=$work/install-$1 log=$work/$1-install.log
    [[ -x $prefix/bin/dpdk-testpmd ]] && return 0
    sources "$v" || return 1
    say "$v: building DPDK (a few minutes; log: $log)"
    # enable_kmods went away in 25.11 (no kernel modules to build there).
    local kmods=()
    grep -q "option('enable_kmods'" "$src/meson_options.txt" && kmods=(-Denable_kmods=false)
    (cd "$src" && rm -rf build-run && meson setup build-run --prefix="$prefix" -Ddefault_library=shared \
        -Dtests=false -Denable_docs=false "${kmods[@]}" -Dexamples= -Dmachine=corei7 \
        -Denable_apps=test-pmd,dumpcap,pdump \
        -Denable_drivers=bus/vdev,bus/pci,mempool/ring,mempool/stack,net/null,net/tap,net/ring,net/pcap &&
        ninja -C build-run && ninja -C build-run install) >"$log" 2>&1 ||
        { say "$v: DPDK build failed (log: $log)"; return 1; }
}

# run_tests VERSION [swift test args...]
run_tests() {
    local v=$1 prefix=$work/install-$1 pc libdir scratch
    shift
    install_release "$v" || return 1
    pc=$(find "$prefix" -name libdpdk.pc -path '*/pkgconfig/*' | head -n 1)
    libdir=$(dirname "$(dirname "$pc")")
    scratch=$repo/.build-dpdk${v//./}-run
    say "$v: building dpdkscope and its tests against DPDK $(PKG_CONFIG_PATH=${pc%/*} pkg-config --modversion libdpdk)"
    (cd "$repo" && PKG_CONFIG_PATH=${pc%/*} swift build --build-tests --scratch-path "$scratch")
    (($#)) || set -- --filter "$default_filter"
    say "$v: testing against $prefix/bin/dpdk-testpmd"
    (cd "$repo" && LD_LIBRARY_PATH=$libdir DPDKSCOPE_TESTPMD=$prefix/bin/dpdk-testpmd \
        DPDKSCOPE_REQUIRE_INTEGRATION=1 DPDKSCOPE_TEST_PREFIX_TAG="s${v//./}-" \
        DPDKSCOPE_BIN=$scratch/debug/dpdkscope PKG_CONFIG_PATH=${pc%/*} \
        swift test --skip-build --scratch-path "$scratch" "$@")
}

# The DPDK-facing integration suites: attach, capture (single and multi),
# the null primary (stop under full rate, primary death), watch and the
# paced exactness test. The analyzers and exports are release-independent
# and run on Debian 12 and 13.
default_filter='Attach|Capture|NullPrimary|Sigkill|Watch|LibraryOpsTable|TestbedShapes'

case $mode in
compile)
    failed=0
    for v in "${versions[@]}"; do compile_check "$v" || failed=1; done
    exit $failed
    ;;
test) run_tests "${versions[0]}" "$@" ;;
esac
