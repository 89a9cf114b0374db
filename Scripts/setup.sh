#!/usr/bin/env bash
# setup.sh — install what dpdkscope, its testbed and its demo capture need
# (Debian bookworm, root), then reserve hugepages. Safe to run repeatedly:
# apt runs only when a package is missing.
#
# Env: HUGEPAGES_COUNT (default 512 x 2 MiB), passed to hugepages.sh.
# Exit codes: 0 ok; 1 install or hugepage reservation failed; 2 not root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packages=(
    libdpdk-dev dpdk dpdk-dev # DPDK 22.11 headers/libs; dpdk-testpmd, dpdk-dumpcap
    libpcap-dev               # pcap writing in dpdkscope
    zlib1g-dev                # reading .pcap.gz / .pcapng.gz (zlib inflate)
    libsnappy-dev             # snappy for Prometheus remote-write bodies
    librdkafka-dev            # librdkafka: the Kafka output's producer (and the tests' mock cluster)
    kcat                      # reads the Kafka output's messages back in its tests
    tshark                    # tshark, dumpcap, capinfos: check captures
    tcpdump                   # records the link-type fixtures (-i any: Linux cooked)
    iproute2 iputils-ping ethtool # namespaces, tap/veth setup, ping
    procps psmisc             # ps, fuser (is a DPDK prefix in use?)
    curl python3 python3-pip  # HTTP client and server for test traffic; pip for PyPI packages below
    bind9-dnsutils dnsmasq-base # dig and a DNS server for the demo capture (dnsutils is gone in Debian 13)
    publicsuffix              # the Public Suffix List: dns.question.registered_domain etc.
    # Real servers and clients for the analyzers' captures and live tests.
    nginx-light wrk           # HTTP server and load generator (nginx: also TLS and HTTP/2 in clear)
    nghttp2-client            # h2load: HTTP/2 load for bench-analyze.sh --per-protocol
    redis-server redis-tools  # redis-server, redis-cli, redis-benchmark
    mariadb-server mariadb-client # mysqld, mysql, mysqlslap
    postgresql postgresql-client  # postgres, psql, pgbench
    memcached libmemcached-tools  # memcached; memcp/memcat (text and binary)
    tmux                      # drives `watch` in its test
    gdb                       # a hung process's stacks in a failing test's message
    prometheus                # scrapes the agent's /metrics, receives remote-write in their tests
    victoria-metrics          # a second remote-write receiver in the export tests
)

[[ $EUID -eq 0 ]] || { echo "setup: must run as root" >&2; exit 2; }

missing=()
for p in "${packages[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done

if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    # tshark's setup otherwise asks whether non-root users may capture.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
    # Servers come from apt for their binaries only: never start them at boot.
    # (policy-rc.d is removed again after the install unless it was there before.)
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    log=$(mktemp /tmp/dpdkscope-setup.XXXXXX.log)
    # Wait for another apt (a boot-time update, Scripts/trixie.sh fetching
    # debootstrap) instead of failing on its lock at once.
    wait_lock=(-o DPkg::Lock::Timeout=600)
    if ! { apt-get "${wait_lock[@]}" update -q &&
           apt-get "${wait_lock[@]}" install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "setup: apt-get failed (full log: $log)" >&2
        exit 1
    fi
    rm -f "$log"
    echo "setup: installed ${missing[*]}"
else
    echo "setup: all ${#packages[@]} packages already installed"
fi

# Python packages from PyPI: the official OTLP schema, which the OTLP
# receiver of the export tests (Scripts/lib/otlp-receiver.py) decodes with.
if ! python3 -c 'import opentelemetry.proto.collector.trace.v1.trace_service_pb2' 2>/dev/null; then
    python3 -m pip install --quiet 'opentelemetry-proto>=1.20' 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages 'opentelemetry-proto>=1.20' \
        || { echo "setup: pip install opentelemetry-proto failed" >&2; exit 1; }
    echo "setup: installed opentelemetry-proto (pip)"
fi

# grpcio and grpcio-tools: the gRPC echo service and clients
# (Scripts/lib/grpc-echo.py) of the demo capture and bench-analyze.sh.
if ! python3 -c 'import grpc, grpc_tools' 2>/dev/null; then
    python3 -m pip install --quiet grpcio grpcio-tools 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages grpcio grpcio-tools \
        || { echo "setup: pip install grpcio grpcio-tools failed" >&2; exit 1; }
    echo "setup: installed grpcio, grpcio-tools (pip)"
fi

"$here/../hugepages/hugepages.sh" reserve || exit 1
