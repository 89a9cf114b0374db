# bench-protocols.sh — sourced by bench-analyze.sh --per-protocol: records
# one capture per protocol (and a mixed one) of real servers and clients in
# two throw-away network namespaces joined by a veth pair (offloads off, so
# packets are wire-sized), dumpcap on the client's veth.
#
# The caller sets root, work, pids, seconds and pgbin, sources netns-pair.sh
# and nginx.sh, then calls bp_servers once and bp_record NAME OUT per file.
# Server 10.98.18.1, client 10.98.18.2, every server on its default port;
# nginx also serves TLS 1.2/1.3 on 443 (a root CA -> intermediate -> RSA leaf
# chain made here, leaf and intermediate sent) and HTTP/2 in clear (prior
# knowledge) on 8080; gRPC is Scripts/lib/grpc-echo.py on 50051.

bp_names=(redis-pipelined redis-resp3 mysql-text mysql-prepared pgsql-simple pgsql-extended pgsql-prepared
          http-keepalive http-close dns memcache-text memcache-binary icmp mix tls12 tls13 http2 grpc)
bp_server=10.98.18.1
# Background processes run as `ip netns exec` itself (not through these
# functions), so that $! is the process to signal.
bp_in_s() { ip netns exec "$ns_s" "$@"; }
bp_in_c() { ip netns exec "$ns_c" "$@"; }

bp_servers() {
    local s=$bp_server
    chmod 755 "$work"
    netns_pair_create vbpc$$ vbps$$ 02:00:00:98:18:02 02:00:00:98:18:01
    trap bp_cleanup EXIT
    bp_in_s ip addr add "$s/24" dev vbps$$
    bp_in_c ip addr add 10.98.18.2/24 dev vbpc$$
    for ns in "$ns_s" "$ns_c"; do ip netns exec "$ns" ip link set lo up; done
    bp_in_s ip link set vbps$$ up
    bp_in_c ip link set vbpc$$ up
    bp_in_s ethtool -K vbps$$ tx off tso off gso off gro off >/dev/null 2>&1 || true
    bp_in_c ethtool -K vbpc$$ tx off tso off gso off gro off >/dev/null 2>&1 || true

    bp_certificates
    nginx_start "$ns_s" "$work" "$s:80" "server { listen $s:443 ssl; root $work/www;
        ssl_certificate $work/chain.pem; ssl_certificate_key $work/leaf.key; ssl_protocols TLSv1.2 TLSv1.3; }
        server { listen $s:8080 http2; root $work/www; }"
    (cd "$work" && exec ip netns exec "$ns_s" python3 "$root/Scripts/lib/grpc-echo.py" "$work" server "$s:50051") &
    pids+=($!)
    ip netns exec "$ns_s" dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces --listen-address="$s" \
        --address=/#/10.9.9.9 --pid-file="$work/dnsmasq.pid" --log-facility="$work/dnsmasq.log" & pids+=($!)
    ip netns exec "$ns_s" redis-server --bind "$s" --port 6379 --save '' --appendonly no --dir "$work" --protected-mode no \
        >"$work/redis.log" 2>&1 & pids+=($!)
    ip netns exec "$ns_s" memcached -u nobody -l "$s" -p 11211 -U 0 -m 64 -t 1 -c 256 & pids+=($!)

    mariadb-install-db --no-defaults --datadir="$work/mysql" --user=root --auth-root-authentication-method=normal \
        --skip-test-db >"$work/mysql-install.log" 2>&1 || { cat "$work/mysql-install.log" >&2; return 1; }
    ip netns exec "$ns_s" mariadbd --no-defaults --datadir="$work/mysql" --socket="$work/mysqld.sock" --pid-file="$work/mysqld.pid" \
        --port=3306 --bind-address="$s" --user=root --skip-ssl --skip-name-resolve --log-error="$work/mysqld.err" \
        --innodb-buffer-pool-size=32M & pids+=($!)

    mkdir -p "$work/pg" && chown postgres "$work/pg"
    su postgres -s /bin/sh -c "$pgbin/initdb -D $work/pg -A trust" >"$work/initdb.log" 2>&1 ||
        { cat "$work/initdb.log" >&2; return 1; }
    echo "host all all 0.0.0.0/0 trust" >>"$work/pg/pg_hba.conf"
    bp_in_s su postgres -s /bin/sh -c \
        "$pgbin/pg_ctl -D $work/pg -o \"-c listen_addresses=$s -k $work/pg\" -l $work/pg/server.log -w start" >/dev/null ||
        { cat "$work/pg/server.log" >&2; return 1; }
    bp_in_c "$pgbin/pgbench" -h "$s" -U postgres -i -s 1 postgres >"$work/pgbench-init.log" 2>&1 ||
        { cat "$work/pgbench-init.log" >&2; return 1; }

    local _
    for _ in $(seq 1 60); do [[ -S $work/mysqld.sock ]] && break; sleep 0.5; done
    bp_in_s mariadb --no-defaults -S "$work/mysqld.sock" -u root -e \
        "CREATE USER 'bench'@'%' IDENTIFIED BY 'bench-pass'; GRANT ALL ON *.* TO 'bench'@'%'; CREATE DATABASE bench;"
    bp_in_c curl -sf -o /dev/null --retry 4 --retry-connrefused "http://$s/" || { echo "nginx does not answer" >&2; return 1; }
    bp_in_c redis-cli -h "$s" HSET profile name ada lang swift city paris >/dev/null
    bp_in_c curl -sfk -o /dev/null "https://$s/" || { echo "nginx TLS does not answer" >&2; return 1; }
    bp_in_c curl -sf -o /dev/null --http2-prior-knowledge "http://$s:8080/" || { echo "nginx h2c does not answer" >&2; return 1; }
    for _ in $(seq 1 100); do
        bp_in_c python3 -c "import socket; socket.create_connection(('$s', 50051), 0.2).close()" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "gRPC server does not answer" >&2; return 1
}

# A root CA, an intermediate and an RSA 2048 leaf for bench.example.test:
# what a public server sends (leaf + intermediate) in a TLS 1.2 handshake.
bp_certificates() {
    local w=$work
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/O=Scope Bench/CN=Scope Bench Root CA" \
        -addext basicConstraints=critical,CA:TRUE -keyout "$w/root.key" -out "$w/root.pem" 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -subj "/O=Scope Bench/CN=Scope Bench Intermediate CA" \
        -keyout "$w/inter.key" -out "$w/inter.csr" 2>/dev/null
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$w/inter.ext"
    openssl x509 -req -in "$w/inter.csr" -CA "$w/root.pem" -CAkey "$w/root.key" -set_serial 0x2002 -days 1825 \
        -extfile "$w/inter.ext" -out "$w/inter.pem" 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -subj "/O=Scope Bench/CN=bench.example.test" \
        -keyout "$w/leaf.key" -out "$w/leaf.csr" 2>/dev/null
    printf 'subjectAltName=DNS:bench.example.test,DNS:www.bench.example.test\nextendedKeyUsage=serverAuth\n' >"$w/leaf.ext"
    openssl x509 -req -in "$w/leaf.csr" -CA "$w/inter.pem" -CAkey "$w/inter.key" -set_serial 0x3003 -days 397 \
        -extfile "$w/leaf.ext" -out "$w/leaf.pem" 2>/dev/null
    cat "$w/leaf.pem" "$w/inter.pem" >"$w/chain.pem"
    chmod 644 "$w"/*.key # nginx reads them as root, but its workers run as nobody
}

bp_cleanup() {
    if [[ -f $work/pg/postmaster.pid ]]; then
        su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $work/pg -m immediate stop" >/dev/null 2>&1 || true
    fi
    rm -f -- "$cachedir"/*.part
    netns_pair_cleanup
}

# One protocol's load, SECONDS long (or a fixed count that takes about that);
# always a count for HTTP/2 (40,000 streams per second of SECONDS) and TLS
# (8,000 handshakes per second of SECONDS); gRPC 6 times as long: its client
# makes far fewer calls a second, and a file needs some tens of thousands to
# be timed.
bp_load() {
    local s=$bp_server n=$seconds
    [[ $1 != grpc ]] || n=$((seconds * 6))
    case $1 in
    redis-pipelined) bp_in_c timeout "$n" redis-benchmark -h "$s" -q -P 16 -c 4 -n 100000000 -t set,get,incr,lpush >/dev/null ;;
    redis-resp3)
        bp_in_c timeout $((n / 2 + 1)) redis-benchmark -3 -h "$s" -q -P 16 -c 4 -n 100000000 -t set,get >/dev/null
        bp_in_c timeout $((n / 2 + 1)) redis-benchmark -3 -h "$s" -q -P 16 -c 4 -n 100000000 hgetall profile >/dev/null ;;
    mysql-text)
        # Short queries: one small result set each (auto-generated SQL would
        # return ever larger tables, measuring row decoding more than queries).
        bp_in_c timeout "$n" mysqlslap --no-defaults --ssl=0 -h "$s" -u bench -pbench-pass --create-schema=bench \
            --concurrency=4 --iterations=1000 --number-of-queries=40000 --delimiter=';' \
            --query="SELECT 1 + 1;SELECT NOW(), 'gadget' AS name;SELECT @@version" >/dev/null 2>&1 || true ;;
    mysql-prepared) bp_in_c python3 "$root/Scripts/lib/mysql-prepared.py" "$s" 3306 bench bench-pass bench "$n" ;;
    pgsql-simple | pgsql-extended | pgsql-prepared)
        bp_in_c "$pgbin/pgbench" -h "$s" -U postgres -S -M "${1#pgsql-}" -c 4 -T "$n" postgres >"$work/$1.log" 2>&1 ;;
    http-keepalive) bp_in_c wrk -t1 -c8 -d "${n}s" "http://$s/" >/dev/null ;;
    http-close) bp_in_c wrk -t1 -c8 -d "${n}s" -H 'Connection: close' "http://$s/" >/dev/null ;;
    dns) bp_in_c python3 - "$s" "$n" <<'PY'
import random, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
deadline, n = time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < deadline:
    n += 1
    name = b"".join(bytes([len(p)]) + p for p in (b"host%d" % n, b"bench", b"test")) + b"\0"
    s.sendto(struct.pack(">HHHHHH", random.getrandbits(16), 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1), (sys.argv[1], 53))
    try: s.recv(2048)
    except socket.timeout: pass
PY
        ;;
    memcache-text | memcache-binary)
        local binary=(); [[ $1 == memcache-binary ]] && binary=(--binary)
        bp_in_c timeout "$n" sh -c "while :; do memcslap ${binary[*]} --servers=$s:11211 --concurrency=4 --test=get --execute-number=20000 >/dev/null 2>&1; memcslap ${binary[*]} --servers=$s:11211 --concurrency=4 --test=set --execute-number=20000 >/dev/null 2>&1; done" || true ;;
    icmp) bp_in_c timeout "$n" ping -q -f "$s" >/dev/null || true ;;
    tls12 | tls13)
        # A count, like HTTP/2 (8,000 full handshakes per second of SECONDS):
        # full handshakes only (no resumption), each on a new connection (a
        # new client port: every flow unique), with one GET each; two clients
        # at once. TLS 1.3 hides the certificates; 1.2 sends them.
        local c clients=()
        for c in 1 2; do
            bp_in_c timeout 900 python3 "$root/Scripts/lib/tls-handshakes.py" "$s" 443 "1.${1#tls1}" $((seconds * 4000)) &
            clients+=($!)
        done
        for c in "${clients[@]}"; do
            wait "$c" || echo "bench-protocols: a TLS client failed or timed out: $1 holds fewer handshakes" >&2
        done ;;
    # A count, not a duration: 5 s of h2load made 17k streams on a busy VM and
    # 192k on an idle one, and at 17k the 13 ms start-up was a fifth of the run.
    http2) bp_in_c h2load -n $((n * 40000)) -c 4 -m 16 "http://$s:8080/index.html" >/dev/null ;;
    grpc) bp_in_c python3 "$root/Scripts/lib/grpc-echo.py" "$work" client "$s:50051" "$n" >/dev/null ;;
    mix)
        local p mixed=()
        for p in redis-pipelined mysql-text mysql-prepared pgsql-simple pgsql-extended http-keepalive http-close dns \
                 memcache-text memcache-binary; do
            bp_load "$p" & mixed+=($!)
        done
        ip netns exec "$ns_c" timeout "$n" redis-benchmark -h "$s" -q -c 2 -n 100000000 -t set,get >/dev/null & mixed+=($!)
        bp_in_c timeout "$n" ping -q -i 0.002 "$s" >/dev/null || true
        for p in "${mixed[@]}"; do wait "$p" || true; done ;;
    esac
    return 0
}

bp_record() {
    local name=$1 out=$2 dumper
    ip netns exec "$ns_c" dumpcap -q -P -B 64 -i vbpc$$ -w "$out.part" 2>"$work/dumpcap.err" & dumper=$!
    sleep 1.5
    kill -0 "$dumper" 2>/dev/null || { cat "$work/dumpcap.err" >&2; return 1; }
    bp_load "$name" || true
    sleep 1
    kill -INT "$dumper"; wait "$dumper" || true
    [[ -s $out.part ]] || return 1
    mv -f -- "$out.part" "$out"
}
