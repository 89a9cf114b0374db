#!/usr/bin/env bash
# Regenerates pgsql.pcap, the real-traffic capture PgSQLOracleTests uses:
# PostgreSQL 15 in one network namespace, psql and pgbench in another, joined
# by a veth pair; dumpcap records the client's veth.
#   - psql over TCP with sslmode=prefer (SSLRequest answered 'N'), trust auth:
#     CREATE/INSERT/SELECT/UPDATE, errors (division by zero, missing table),
#     BEGIN/COMMIT, COPY in and out, LISTEN/NOTIFY (NotificationResponse), a
#     RAISE NOTICE (NoticeResponse), an empty query, and one Query holding
#     several statements with an error in the middle
#   - md5 authentication (PasswordMessage on the wire), and a wrong password
#   - pgbench -i with server-side data generation, then -M extended (2 clients,
#     50 transactions each), -M prepared, and an extended-protocol pipeline
#     whose second query fails (the server skips the rest up to the Sync)
# Needs root, iproute2, postgresql 15, dumpcap. Cleans up after itself.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
here=$out
bin=/usr/lib/postgresql/15/bin
ns_c=pgsql-cap-cli ns_s=pgsql-cap-srv
work=$(mktemp -d /tmp/pgsql-capture.XXXXXX)
pids=()
# shellcheck source=../../../Scripts/lib/netns-pair.sh
source "$here/../../../Scripts/lib/netns-pair.sh"
netns_pair_create pgc0 pgs0 02:00:00:00:54:01 02:00:00:00:54:02

stop_postgres() {
    [[ -f "$work/pg/data/postmaster.pid" ]] && runuser -u postgres -- "$bin/pg_ctl" -D "$work/pg/data" stop -m immediate >/dev/null 2>&1
    netns_pair_cleanup
}
trap stop_postgres EXIT

server_ip=10.77.54.1 client_ip=10.77.54.2
ip -n "$ns_s" addr add $server_ip/24 dev pgs0
ip -n "$ns_c" addr add $client_ip/24 dev pgc0
for ns in "$ns_s" "$ns_c"; do ip -n "$ns" link set lo up; done
ip -n "$ns_s" link set pgs0 up
ip -n "$ns_c" link set pgc0 up
# Real checksums and wire-sized segments in the capture: no offloads.
ip netns exec "$ns_s" ethtool -K pgs0 tx off tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec "$ns_c" ethtool -K pgc0 tx off tso off gso off gro off >/dev/null 2>&1 || true

# --- PostgreSQL ------------------------------------------------------------
chmod 755 "$work"  # dumpcap drops its privileges before it writes the file
mkdir "$work/pg"
chown postgres: "$work/pg"
as_postgres() { runuser -u postgres -- "$@"; }
as_postgres "$bin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
cat >"$work/pg/data/pg_hba.conf" <<EOF
local all all trust
host all md5user 10.77.54.0/24 md5
host all all 10.77.54.0/24 trust
EOF
ip netns exec "$ns_s" runuser -u postgres -- "$bin/postgres" -D "$work/pg/data" -c listen_addresses=$server_ip \
    -c unix_socket_directories="$work/pg" -c ssl=off -c fsync=off -c password_encryption=md5 \
    -c lc_messages=C >"$work/pg/postgres.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do as_postgres "$bin/pg_isready" -q -h "$work/pg" && break; sleep 0.2; done
# Setup over the Unix socket: not in the capture.
as_postgres "$bin/psql" -q -h "$work/pg" -U postgres -c "CREATE DATABASE pgtest" \
    -c "CREATE ROLE md5user LOGIN PASSWORD 'pgsql-secret-pw'" -c "GRANT ALL ON DATABASE pgtest TO md5user"
as_postgres "$bin/psql" -q -h "$work/pg" -U postgres -d pgtest -c "GRANT ALL ON SCHEMA public TO md5user"

capture() {  # capture COMMANDS...: records the client veth while COMMANDS run
    ip netns exec "$ns_c" dumpcap -q -P -i pgc0 -f "tcp port 5432" -w "$work/capture.pcap" &
    local dumper=$!
    sleep 1.5
    "$@"
    sleep 1
    kill -TERM "$dumper"
    wait "$dumper" || true
    cp "$work/capture.pcap" "$out/pgsql.pcap"
    chmod 644 "$out/pgsql.pcap"
}

in_client() { ip netns exec "$ns_c" env PGHOST=$server_ip PGDATABASE=pgtest "$@"; }

traffic() {
    # One psql session, one statement per Query message (psql -f sends them one by one).
    cat >"$work/session.sql" <<'EOF'
CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three');
SELECT id, name FROM items ORDER BY id;
SELECT 1/0;
SELECT * FROM missing_table;
BEGIN;
UPDATE items SET name = 'uno' WHERE id = 1;
COMMIT;
\copy items FROM STDIN
4	four
5	five
\.
\copy items TO STDOUT
LISTEN news;
NOTIFY news, 'hello';
DO $$ BEGIN RAISE NOTICE 'a notice, not an answer'; END $$;
;
SELECT count(*) FROM items;
EOF
    in_client "$bin/psql" -X -q -U postgres -f "$work/session.sql" >/dev/null 2>&1 || true
    # Several statements in one Query; the fourth fails, the fifth never runs.
    in_client "$bin/psql" -X -q -U postgres \
        -c "SELECT 'a;b' AS semi; INSERT INTO items VALUES (6, 'six'); UPDATE items SET name = \$\$x;y\$\$ WHERE id = 6; SELECT 2/0; SELECT 3" \
        >/dev/null 2>&1 || true
    # md5: the PasswordMessage crosses the wire (the analyzer must not emit it); then a wrong one.
    in_client env PGPASSWORD=pgsql-secret-pw PGSSLMODE=disable "$bin/psql" -X -q -U md5user -c "SELECT current_user" \
        >/dev/null
    in_client env PGPASSWORD=wrong-pw PGSSLMODE=disable "$bin/psql" -X -q -U md5user -c "SELECT 1" \
        >/dev/null 2>&1 || true
    # pgbench: initialise with server-side generation (small on the wire), then the extended protocol.
    in_client "$bin/pgbench" -q -U postgres -i -I dtGvp -s 1 pgtest >/dev/null 2>&1
    in_client "$bin/pgbench" -U postgres -M extended -t 50 -c 2 pgtest >/dev/null 2>&1
    in_client "$bin/pgbench" -U postgres -M prepared -t 5 -c 1 pgtest >/dev/null 2>&1
    cat >"$work/pipeline.sql" <<'EOF'
\startpipeline
SELECT 1 AS first;
SELECT 1/0 AS fails;
SELECT 3 AS skipped;
\endpipeline
EOF
    in_client "$bin/pgbench" -U postgres -M extended -n -f "$work/pipeline.sql" -t 1 -c 1 pgtest \
        >/dev/null 2>&1 || true
}

capture traffic
echo "wrote $out/pgsql.pcap ($(stat -c %s "$out/pgsql.pcap") bytes)"
