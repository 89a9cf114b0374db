#!/usr/bin/env bash
# Regenerates mysql.pcap, the real-traffic capture MySQLOracleTests uses:
# MariaDB (mariadbd) in one network namespace, clients in another, dumpcap on
# the client's veth. Traffic, all without TLS, as user "scope" with a
# password (the handshake carries a mysql_native_password exchange):
#   - mysql client: CREATE/INSERT/UPDATE/SELECT, an error, a multi-statement
#     "SELECT 1; SELECT 2" in one COM_QUERY (CLIENT_MULTI_STATEMENTS), a
#     refused log-in (wrong password)
#   - mysqlslap --concurrency=2 --iterations=2 --auto-generate-sql
#   - prepared-client.py (below; stdlib python3): COM_STMT_PREPARE / EXECUTE
#     with typed parameters (string, double, integer, NULL, date; the second
#     execute reuses the bound types) / CLOSE, PING, INIT_DB, FIELD_LIST,
#     STATISTICS, two pipelined queries, QUIT; once with
#     CLIENT_DEPRECATE_EOF, once without
# Needs root, iproute2, mariadb-server, mariadb-client, python3, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
tag=$$
ns_s=mysqls$tag ns_c=mysqlc$tag
veth_s=vmys$tag veth_c=vmyc$tag
work=$(mktemp -d /tmp/dpdkscope-mysql.XXXXXX)
pids=()
# shellcheck source=../../../Scripts/lib/netns-pair.sh
source "$out/../../../Scripts/lib/netns-pair.sh"

netns_pair_create "$veth_c" "$veth_s" 02:00:00:97:00:02 02:00:00:97:00:01
in_server() { ip netns exec "$ns_s" "$@"; }
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up "$veth_c" "$veth_s" 10.97.0.2/24 10.97.0.1/24

# --- MariaDB: own datadir, socket and port, no TLS ------------------------
mariadb-install-db --no-defaults --datadir="$work/data" --user=root --auth-root-authentication-method=normal \
    --skip-test-db >"$work/install.log" 2>&1
ip netns exec "$ns_s" mariadbd --no-defaults --datadir="$work/data" --socket="$work/mysqld.sock" \
    --pid-file="$work/mysqld.pid" --port=3306 --bind-address=10.97.0.1 --user=root --skip-ssl \
    --skip-name-resolve --log-error="$work/mysqld.err" --innodb-buffer-pool-size=16M &
pids+=($!)
for _ in $(seq 1 60); do [ -S "$work/mysqld.sock" ] && break; sleep 0.5; done
admin() { in_server mariadb --no-defaults -S "$work/mysqld.sock" -u root "$@"; }
admin -e "CREATE USER 'scope'@'%' IDENTIFIED BY 'Sc0pe-secret'; GRANT ALL ON *.* TO 'scope'@'%'; CREATE DATABASE shop;"

cat >"$work/prepared-client.py" <<'PYTHON'
# Minimal MySQL binary-protocol client (stdlib only) for the capture recipe:
# mysql_native_password log-in, COM_STMT_PREPARE/EXECUTE/CLOSE with typed
# parameters, and a few other commands. argv: host port user password db deprecate_eof(0/1)
import hashlib, socket, struct, sys

host, port, user, password, db, deprecate = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == "1"
sock = socket.create_connection((host, port))
seq = 0

def recv_exact(n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("server closed")
        data += chunk
    return data

def read_packet():
    global seq
    header = recv_exact(4)
    length = header[0] | header[1] << 8 | header[2] << 16
    seq = (header[3] + 1) & 0xFF
    return recv_exact(length)

def packet(payload, sequence):
    return struct.pack("<I", len(payload))[:3] + bytes([sequence]) + payload

def send(payload, sequence=None):
    global seq
    sock.sendall(packet(payload, seq if sequence is None else sequence))
    seq = ((seq if sequence is None else sequence) + 1) & 0xFF

def lenenc_int(data, pos):
    first = data[pos]
    if first < 0xFB: return first, pos + 1
    width = {0xFC: 2, 0xFD: 3, 0xFE: 8}[first]
    return int.from_bytes(data[pos + 1:pos + 1 + width], "little"), pos + 1 + width

def lenenc_str(text):
    raw = text.encode()
    assert len(raw) < 251
    return bytes([len(raw)]) + raw

CLIENT_PROTOCOL_41, CLIENT_SECURE, CLIENT_PLUGIN_AUTH, CLIENT_CONNECT_WITH_DB = 0x200, 0x8000, 0x80000, 0x8
CLIENT_TRANSACTIONS, CLIENT_MULTI_RESULTS, CLIENT_PS_MULTI_RESULTS, CLIENT_LONG_PASSWORD = 0x2000, 0x20000, 0x40000, 0x1
CLIENT_DEPRECATE_EOF = 0x1000000

greeting = read_packet()
assert greeting[0] == 10
pos = greeting.index(b"\0", 1) + 1 + 4
scramble = greeting[pos:pos + 8]
pos += 8 + 1
server_caps = struct.unpack_from("<H", greeting, pos)[0]
pos += 2 + 1 + 2
server_caps |= struct.unpack_from("<H", greeting, pos)[0] << 16
pos += 2
auth_len = greeting[pos]
pos += 1 + 10
scramble += greeting[pos:pos + max(13, auth_len - 8) - 1]
stage1 = hashlib.sha1(password.encode()).digest()
token = bytes(a ^ b for a, b in zip(stage1, hashlib.sha1(scramble + hashlib.sha1(stage1).digest()).digest()))
caps = CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_WITH_DB | CLIENT_TRANSACTIONS | CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS
if deprecate:
    caps |= CLIENT_DEPRECATE_EOF & server_caps
eof_deprecated = bool(caps & CLIENT_DEPRECATE_EOF)
send(struct.pack("<IIB", caps, 1 << 24, 33) + b"\0" * 23 + user.encode() + b"\0" + bytes([len(token)]) + token + db.encode() + b"\0" + b"mysql_native_password\0")
reply = read_packet()
assert reply[0] == 0, reply

def read_eof_or(packet_):
    return packet_[0] == 0xFE and len(packet_) < 0xFFFFFF

def read_result():
    """Reads one whole response (all results); returns a short description."""
    out = []
    while True:
        first = read_packet()
        if first[0] == 0x00:
            status = 0
            _, p = lenenc_int(first, 1); _, p = lenenc_int(first, p)
            status = struct.unpack_from("<H", first, p)[0]
            out.append("ok")
        elif first[0] == 0xFF:
            out.append("err %d" % struct.unpack_from("<H", first, 1)[0])
            return out
        else:
            columns, _ = lenenc_int(first, 0)
            for _ in range(columns): read_packet()
            if not eof_deprecated: read_packet()
            rows = 0
            while True:
                row = read_packet()
                if row[0] == 0xFF:
                    out.append("err"); return out
                if read_eof_or(row):
                    if len(row) < 9 and not eof_deprecated:
                        status = struct.unpack_from("<H", row, 3)[0]
                    else:
                        _, p = lenenc_int(row, 1); _, p = lenenc_int(row, p)
                        status = struct.unpack_from("<H", row, p)[0]
                    break
                rows += 1
            out.append("%d rows" % rows)
        if not status & 0x0008:
            return out

def command(code, body=b""):
    send(bytes([code]) + body, 0)

def query(text):
    command(0x03, text.encode())
    return read_result()

def prepare(text):
    command(0x16, text.encode())
    ok = read_packet()
    assert ok[0] == 0, ok
    stmt, columns, params = struct.unpack_from("<IHH", ok, 1)
    for _ in range(params): read_packet()
    if params and not eof_deprecated: read_packet()
    for _ in range(columns): read_packet()
    if columns and not eof_deprecated: read_packet()
    return stmt, params

MYSQL_TYPE_LONGLONG, MYSQL_TYPE_DOUBLE, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_NULL, MYSQL_TYPE_DATE, MYSQL_TYPE_TINY = 8, 5, 253, 6, 10, 1

def execute(stmt, values, bind=True):
    nulls = bytearray((len(values) + 7) // 8)
    types, data = b"", b""
    for i, value in enumerate(values):
        if value is None:
            nulls[i // 8] |= 1 << (i % 8); types += struct.pack("<BB", MYSQL_TYPE_NULL, 0)
        elif isinstance(value, bool):
            types += struct.pack("<BB", MYSQL_TYPE_TINY, 0); data += struct.pack("<b", value)
        elif isinstance(value, int):
            types += struct.pack("<BB", MYSQL_TYPE_LONGLONG, 0); data += struct.pack("<q", value)
        elif isinstance(value, float):
            types += struct.pack("<BB", MYSQL_TYPE_DOUBLE, 0); data += struct.pack("<d", value)
        elif isinstance(value, tuple):
            types += struct.pack("<BB", MYSQL_TYPE_DATE, 0); data += struct.pack("<BHBB", 4, *value)
        else:
            types += struct.pack("<BB", MYSQL_TYPE_VAR_STRING, 0); data += lenenc_str(value)
    body = struct.pack("<IBI", stmt, 0, 1)
    if values:
        body += bytes(nulls) + (b"\x01" + types if bind else b"\x00") + data
    command(0x17, body)
    return read_result()

print(query("CREATE TABLE IF NOT EXISTS gadgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40), price DOUBLE, qty BIGINT, added DATE)"))
insert, params = prepare("INSERT INTO gadgets (name, price, qty, added) VALUES (?, ?, ?, ?)")
print(execute(insert, ["sprocket", 2.5, 12, (2024, 5, 17)]))
print(execute(insert, ["widget", 0.75, -3, None]))
select, _ = prepare("SELECT id, name, price FROM gadgets WHERE qty > ? AND name <> ?")
print(execute(select, [-100, "nothing"]))
print(execute(select, [0, "sprocket"], bind=False))  # types reused from the first execute
command(0x19, struct.pack("<I", insert))  # STMT_CLOSE: no response
command(0x19, struct.pack("<I", select))
command(0x0E); print("ping", read_result())
command(0x02, db.encode()); print("init_db", read_result())
command(0x04, b"gadgets\0"); fields = 0
while True:
    p = read_packet()
    if p[0] in (0xFE, 0xFF): break
    fields += 1
print("field_list", fields)
command(0x09); print("statistics", read_packet()[:20])
# Two queries pipelined in one segment: the server answers them in order.
sock.sendall(packet(b"\x03SELECT COUNT(*) FROM gadgets", 0) + packet(b"\x03SELECT name FROM gadgets ORDER BY id", 0))
print("pipelined", read_result(), read_result())
command(0x01)  # QUIT: no response
sock.close()
PYTHON

client() { in_client mariadb --no-defaults --ssl=0 -h 10.97.0.1 -P 3306 -u scope -pSc0pe-secret "$@"; }

ip netns exec "$ns_c" dumpcap -q -P -i "$veth_c" -f "tcp port 3306" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5

client shop --batch -e "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40), qty INT)"
client shop --batch -e "INSERT INTO items (name, qty) VALUES ('bolt', 10), ('nut', 20), ('gear', 5)"
client shop --batch -e "UPDATE items SET qty = qty + 1 WHERE qty < 15"
client shop --batch -e "SELECT id, name, qty FROM items ORDER BY id"
client shop --batch -e "SELECT * FROM no_such_table" || true
# One COM_QUERY holding two statements: two result sets in one response.
printf 'DELIMITER //\nSELECT 1; SELECT 2//\n' | client shop --batch
in_client mariadb --no-defaults --ssl=0 -h 10.97.0.1 -u scope -pwrong-password -e "SELECT 1" 2>/dev/null || true
in_client mysqlslap --no-defaults --ssl=0 -h 10.97.0.1 -u scope -pSc0pe-secret --concurrency=2 --iterations=2 \
    --auto-generate-sql --number-of-queries=10 >/dev/null
in_client python3 "$work/prepared-client.py" 10.97.0.1 3306 scope Sc0pe-secret shop 0 >/dev/null
in_client python3 "$work/prepared-client.py" 10.97.0.1 3306 scope Sc0pe-secret shop 1 >/dev/null

sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/mysql.pcap"
chmod 644 "$out/mysql.pcap"
ls -l "$out/mysql.pcap"
