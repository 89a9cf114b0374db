# mysql-prepared.py — load for bench-analyze.sh --per-protocol: a minimal
# MySQL binary-protocol client (stdlib only) that logs in
# (mysql_native_password), prepares one SELECT and executes it in a loop,
# one round trip each, for SECONDS; then closes the statement and quits.
# argv: host port user password db seconds
import hashlib, socket, struct, sys, time

host, port, user, password, db, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
sock = socket.create_connection((host, port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buffer = b""

def recv_exact(n):
    global buffer
    while len(buffer) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("server closed")
        buffer += chunk
    data, buffer = buffer[:n], buffer[n:]
    return data

def read_packet():
    header = recv_exact(4)
    return recv_exact(header[0] | header[1] << 8 | header[2] << 16)

def send(payload, sequence):
    sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([sequence]) + payload)

greeting = read_packet()
pos = greeting.index(b"\0", 1) + 1 + 4
scramble = greeting[pos:pos + 8]
pos += 8 + 1 + 2 + 1 + 2 + 2
auth_len = greeting[pos]
pos += 1 + 10
scramble += greeting[pos:pos + max(13, auth_len - 8) - 1]
stage1 = hashlib.sha1(password.encode()).digest()
token = bytes(a ^ b for a, b in zip(stage1, hashlib.sha1(scramble + hashlib.sha1(stage1).digest()).digest()))
caps = 0x1 | 0x200 | 0x8000 | 0x80000 | 0x8 | 0x2000 | 0x20000 | 0x40000
send(struct.pack("<IIB", caps, 1 << 24, 33) + b"\0" * 23 + user.encode() + b"\0" + bytes([len(token)]) + token
     + db.encode() + b"\0" + b"mysql_native_password\0", 1)
assert read_packet()[0] == 0

def until_eof():
    while True:
        p = read_packet()
        if p[0] == 0xFE and len(p) < 9:
            return

send(b"\x16SELECT ? + 1 AS n, 'gadget' AS name", 0)
ok = read_packet()
assert ok[0] == 0, ok
stmt, columns, params = struct.unpack_from("<IHH", ok, 1)
if params: until_eof()
if columns: until_eof()
deadline, n = time.monotonic() + seconds, 0
while time.monotonic() < deadline:
    n += 1
    send(b"\x17" + struct.pack("<IBI", stmt, 0, 1) + b"\x00\x01" + struct.pack("<BB", 8, 0) + struct.pack("<q", n), 0)
    first = read_packet()
    if first[0] not in (0x00, 0xFF):
        until_eof()  # column definitions
        until_eof()  # rows
send(b"\x19" + struct.pack("<I", stmt), 0)
send(b"\x01", 0)
sock.close()
