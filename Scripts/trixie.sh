#!/usr/bin/env bash
# trixie.sh — build and test dpdkscope against DPDK 24.11 (Debian 13
# "trixie") on a Debian 12 host, without touching the host's DPDK 22.11.
#
# A Debian 13 root is debootstrapped into .trixie/root (ignored by git) with
# Debian's own dpdk, libdpdk-dev and the tools the tests use. The host's Swift
# toolchain (/opt/swift), hugepages, /dev/net/tun, /run (DPDK runtime dirs,
# network namespaces), /proc, /sys and this repository are bind-mounted in,
# so dpdkscope is built against 24.11 (scratch path .build-trixie) and the
# integration tests run against trixie's unmodified dpdk-testpmd. The kernel,
# hugepages and /run are shared with the host, so the tests run with their
# testbed prefixes tagged (DPDKSCOPE_TEST_PREFIX_TAG, default "t13-") and do
# not collide with a 22.11 run on the same machine.
#
# Usage: Scripts/trixie.sh [root|build|test|all|suite|cross|shell|run CMD...] [swift test args...]
#   root   create or complete .trixie/root (debootstrap + apt); idempotent:
#          each finished stage leaves a marker and is skipped next time
#   build  root, then swift build --build-tests against DPDK 24.11
#   test   build, then the tests (default: the integration tests
#          'Attach|Capture'; pass other swift test arguments to change that)
#   all    same as test with the full suite (unit + every integration test)
#   suite  build, then the given swift test arguments alone (no cross check;
#          test.sh runs the testbed suite by itself this way after `all`)
#   cross  the mismatch check alone: the 24.11 build against a 22.11 primary
#          on the host and the host's build (.build/debug) against a 24.11
#          testpmd in the root must each exit 2 with one line (test and all
#          run it too; skipped without a host build)
#   shell  an interactive shell in the root with everything mounted
#   run    CMD... in the root, from the repository, with everything mounted
#
# Env: TRIXIE_MIRROR (default http://deb.debian.org/debian),
#      DPDKSCOPE_TEST_PREFIX_TAG (default t13-).
# Exit codes: 0 ok; 1 a stage failed (its log is shown); 2 not root;
#   64 usage error; otherwise the exit code of swift build / swift test.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=$repo/.trixie
root=$base/root
mirror=${TRIXIE_MIRROR:-http://deb.debian.org/debian}
tag=${DPDKSCOPE_TEST_PREFIX_TAG:-t13-}
swift_dir=/opt/swift

# What the build and the tests need inside the root. The Swift toolchain
# itself comes from the host; these are its runtime and link dependencies.
packages=(
    dpdk dpdk-dev libdpdk-dev pkg-config  # DPDK 24.11: dpdk-testpmd, headers, libdpdk.pc
    libpcap-dev zlib1g-dev                # libpcap, zlib for the pcap modules
    libsnappy-dev                         # snappy for remote-write bodies
    librdkafka-dev kcat                   # the Kafka output (librdkafka 2.8) and its tests' consumer
    tshark                                # tshark, capinfos: check captures
    iproute2 iputils-ping ethtool procps psmisc util-linux curl python3 # testbed and traffic
    git ca-certificates                   # SwiftPM fetches its dependencies
    binutils gcc libc6-dev libstdc++-14-dev libgcc-14-dev # the toolchain links with these
    libncurses6 libedit2 libxml2 libcurl4t64 libsqlite3-0 libpython3.13 tzdata uuid-dev
    # Real servers and clients for the agent, watch and analyzer tests, as
    # Scripts/setup.sh installs on the host (trixie names where they differ).
    bind9-dnsutils dnsmasq-base publicsuffix nginx-light wrk redis-server redis-tools
    mariadb-server mariadb-client postgresql postgresql-client memcached libmemcached-tools
    tmux prometheus victoria-metrics      # the metrics receivers of the export tests
    python3-pip                           # the OTLP receiver's official schema (PyPI, below)
)

say() { echo "trixie: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { say "usage: $0 [root|build|test|all|suite|cross|shell|run CMD...] [swift test args...]"; exit 64; }

[[ $EUID -eq 0 ]] || { say "must run as root (debootstrap, chroot, mounts)"; exit 2; }
command=${1:-test}
(($#)) && shift
case $command in root|build|test|all|suite|cross|shell|run) ;; *) usage ;; esac

# Run a stage quietly; on failure show the end of its log.
quiet() {
    local log=$base/$1.log
    shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        die "failed: $* (full log: $log)"
    fi
}

in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        PATH=$swift_dir/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

make_root() {
    mkdir -p "$base"
    if [[ ! -e $base/.debootstrapped ]]; then
        command -v debootstrap >/dev/null || quiet apt-debootstrap apt-get -o DPkg::Lock::Timeout=600 install -y -q debootstrap
        # A half-finished debootstrap cannot be resumed: start over.
        unmount_all
        rm -rf "$root"
        say "debootstrap trixie into $root"
        quiet debootstrap debootstrap --variant=minbase trixie "$root" "$mirror"
        touch "$base/.debootstrapped"
    fi
    if [[ ! -e $base/.packages ]] || [[ $(cat "$base/.packages") != "${packages[*]}" ]]; then
        say "installing ${#packages[@]} packages in the root"
        cp /etc/resolv.conf "$root/etc/resolv.conf"
        # Packages that ship services must not try to start them in a chroot.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 755 "$root/usr/sbin/policy-rc.d"
        mount_all
        quiet apt in_root sh -c "
            export DEBIAN_FRONTEND=noninteractive
            echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
            apt-get update -q && apt-get install -y -q --no-install-recommends ${packages[*]} &&
            apt-get clean"  # the downloaded .debs (about 400 MB): CI's disk can be short
        echo "${packages[*]}" >"$base/.packages"
    fi
    # The OTLP test receiver decodes with the official schema from PyPI, as
    # Scripts/setup.sh installs it on the host (Debian 13's pip refuses the
    # system Python without --break-system-packages; the root is ours).
    if ! in_root python3 -c 'import opentelemetry.proto.collector.trace.v1.trace_service_pb2' 2>/dev/null; then
        mount_all
        quiet pip in_root python3 -m pip install --quiet --break-system-packages 'opentelemetry-proto>=1.20'
    fi
}

# Local directories the host's git serves GitHub from (url.<dir>.insteadOf in
# /etc/gitconfig, e.g. an offline mirror of the Swift packages): SwiftPM in
# the root must see them at the same paths, with the same rewrite.
git_mirrors() {
    git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null |
        sed -E 's/^url\.(.*)\.insteadof .*$/\1/' | grep '^/' | sed 's:/*$::' | sort -u || true
}

# A root on a tmpfs (Scripts/test.sh puts one there when the disk is short)
# gets the host's /tmp, so the tests' files still go to a disk: the
# drop-behind test checks that written data leaves the page cache, which a
# tmpfs is.
root_on_tmpfs() { [[ $(stat -f -c %T "$root" 2>/dev/null) == tmpfs ]]; }

# Mount points, in mount order; unmounted in reverse.
targets() {
    local m
    # "." binds the root onto itself first: inside, / must be a mount point
    # for `ip netns add` (it makes / rslave) and `unshare -m --propagation`.
    echo . proc sys dev/pts dev/shm dev/hugepages dev/net/tun run "${swift_dir#/}" "${repo#/}"
    if root_on_tmpfs; then echo tmp; fi
    for m in $(git_mirrors); do echo "${m#/}"; done
}

mount_all() {
    local t
    for t in $(targets); do
        mountpoint -q "$root/$t" && continue
        case $t in
        .) mount --bind "$root" "$root" ;;
        proc) mount -t proc proc "$root/proc" ;;
        sys) mount --bind /sys "$root/sys" ;;
        dev/pts) mkdir -p "$root/dev/pts"; mount --bind /dev/pts "$root/dev/pts" ;;
        dev/shm) mkdir -p "$root/dev/shm"; mount -t tmpfs shm "$root/dev/shm" ;;
        dev/hugepages) mkdir -p "$root/dev/hugepages"; mount --bind /dev/hugepages "$root/dev/hugepages" ;;
        dev/net/tun) mkdir -p "$root/dev/net"; touch "$root/dev/net/tun"; mount --bind /dev/net/tun "$root/dev/net/tun" ;;
        # /run holds DPDK's runtime dirs and the network namespaces the tap
        # testbed creates; the host's `ip netns` must see the same ones.
        run) mount --bind /run "$root/run" ;;
        *) mkdir -p "$root/$t"; mount --bind "/$t" "$root/$t" ;;
        esac
    done
    [[ ! -f /etc/gitconfig ]] || cmp -s /etc/gitconfig "$root/etc/gitconfig" || cp /etc/gitconfig "$root/etc/gitconfig"
    [[ ! -f /etc/pip.conf ]] || cmp -s /etc/pip.conf "$root/etc/pip.conf" || cp /etc/pip.conf "$root/etc/pip.conf"
    # The root trusts the certificate authorities the host added (a proxy's,
    # say), so pip and git reach what they reach on the host.
    # (Once ca-certificates is in the root: before that, next time.)
    if [[ -d /usr/local/share/ca-certificates && -x $root/usr/sbin/update-ca-certificates ]] &&
        ! diff -rq /usr/local/share/ca-certificates "$root/usr/local/share/ca-certificates" >/dev/null 2>&1; then
        mkdir -p "$root/usr/local/share/ca-certificates"
        cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
        in_root update-ca-certificates >/dev/null 2>&1 || say "update-ca-certificates failed in the root"
    fi
}

unmount_all() {
    [[ -d $root ]] || return 0
    local t list
    list=$(targets | tr ' ' '\n' | tac)
    for t in $list; do
        if mountpoint -q "$root/$t"; then umount "$root/$t" || umount -l "$root/$t"; fi
    done
}

build() {
    [[ -x $swift_dir/usr/bin/swift ]] || die "no Swift toolchain at $swift_dir"
    mount_all
    local version
    version=$(in_root pkg-config --modversion libdpdk)
    say "building against DPDK $version (scratch path .build-trixie)"
    in_root sh -c "cd '$repo' && swift build --scratch-path .build-trixie --build-tests"
}

run_tests() {
    say "testing against Debian 13's dpdk-testpmd $(in_root dpkg-query -W -f '${Version}' dpdk)"
    in_root env DPDKSCOPE_REQUIRE_INTEGRATION=1 DPDKSCOPE_TEST_PREFIX_TAG="$tag" \
        DPDKSCOPE_BIN="$repo/.build-trixie/debug/dpdkscope" \
        sh -c 'cd "$0" && exec swift test --scratch-path .build-trixie --skip-build "$@"' "$repo" "$@"
}

# The refusal across releases, both ways: the 24.11 build against a 22.11
# primary on the host, and the host's 22.11 build against trixie's 24.11
# testpmd. Each must exit 2 with one line naming the primary's release.
expect_refusal() { # label status stderr primary-release
    local lines
    lines=$(printf '%s' "$3" | grep -c . || true)
    if [[ $2 -eq 2 && $lines -eq 1 && $3 == *"runs DPDK $4"* && $3 == *"built against DPDK $4"* ]]; then
        say "cross: $1: refused as expected: $3"
    else
        say "cross: $1: expected exit 2 and one line naming DPDK $4, got exit $2: $3"
        return 1
    fi
}

cross() {
    local host_bin=$repo/.build/debug/dpdkscope bin=$repo/.build-trixie/debug/dpdkscope
    local host_release trixie_release out status failed=0
    if [[ ! -x $host_bin ]]; then
        say "cross: skipped (no host build at $host_bin: run swift build first)"
        return 0
    fi
    host_release=$(pkg-config --modversion libdpdk | cut -d. -f1,2)
    trixie_release=$(in_root pkg-config --modversion libdpdk | cut -d. -f1,2)
    "$repo/Scripts/testbed.sh" start --prefix "${tag}cross-host" >/dev/null
    status=0; out=$(in_root "$bin" list --file-prefix "${tag}cross-host" 2>&1 >/dev/null) || status=$?
    "$repo/Scripts/testbed.sh" stop --prefix "${tag}cross-host" >/dev/null || true
    expect_refusal "$trixie_release build vs $host_release primary" "$status" "$out" "$host_release" || failed=1
    in_root "$repo/Scripts/testbed.sh" start --prefix "${tag}cross-root" >/dev/null
    status=0; out=$("$host_bin" list --file-prefix "${tag}cross-root" 2>&1 >/dev/null) || status=$?
    in_root "$repo/Scripts/testbed.sh" stop --prefix "${tag}cross-root" >/dev/null || true
    expect_refusal "$host_release build vs $trixie_release primary" "$status" "$out" "$trixie_release" || failed=1
    return $failed
}

trap unmount_all EXIT
make_root
case $command in
root) ;;
build) build ;;
test) build; cross; if (($#)); then run_tests "$@"; else run_tests --filter 'Attach|Capture'; fi ;;
all) build; cross; run_tests "$@" ;;
suite) build; run_tests "$@" ;;
cross) mount_all; cross ;;
shell) mount_all; in_root sh -c "cd '$repo' && exec bash" ;;
run) (($#)) || usage; mount_all; in_root sh -c "cd '$repo' && exec \"\$@\"" run "$@" ;;
esac
