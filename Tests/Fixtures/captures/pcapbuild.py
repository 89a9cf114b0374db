"""Packet building for the hand-made fixture captures (make-dns-edge.py,
make-http-edge.py): Ethernet, IPv4, UDP and TCP with correct checksums,
written as a classic pcap. Only what those scripts need; the layouts are
RFC 791, 768 and 9293's.
"""
import struct

CLIENT, SERVER = "10.99.0.2", "10.99.0.1"


def ip4(text):
    return bytes(int(part) for part in text.split("."))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(source, destination, protocol, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, protocol, 0,
                         ip4(source), ip4(destination))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ethernet(packet, multicast=None):
    destination = multicast or b"\x02\x00\x00\x00\x00\x01"
    return destination + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + packet


def udp(source, sport, destination, dport, payload):
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = ip4(source) + ip4(destination) + struct.pack("!BBH", 0, 17, len(segment))
    segment = segment[:6] + struct.pack("!H", checksum(pseudo + segment) or 0xFFFF) + segment[8:]
    multicast = None
    if destination.startswith("224.0.0."):
        multicast = b"\x01\x00\x5e\x00\x00" + bytes([int(destination.split(".")[3])])
    return ethernet(ipv4(source, destination, 17, segment), multicast)


def tcp(source, sport, destination, dport, seq, ack, flags, payload=b""):
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = ip4(source) + ip4(destination) + struct.pack("!BBH", 0, 6, len(segment))
    segment = segment[:16] + struct.pack("!H", checksum(pseudo + segment)) + segment[18:]
    return ethernet(ipv4(source, destination, 6, segment))


def write_pcap(path, frames):
    """Frames 0.1 s apart; a (seconds, frame) entry comes that much later
    still (and so does everything after it)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    delay = 0
    for index, frame in enumerate(frames):
        if isinstance(frame, tuple):
            delay += frame[0]
            frame = frame[1]
        out.append(struct.pack("<IIII", 1700000000 + delay + index // 10, (index % 10) * 100000, len(frame), len(frame)))
        out.append(frame)
    with open(path, "wb") as file:
        file.write(b"".join(out))


class TCPConnection:
    """One client-server TCP connection: handshake, data each way (a lost
    segment advances the sequence numbers without a frame), FIN or RST."""

    def __init__(self, frames, port, server_port=80, client=CLIENT, server=SERVER, isn=(1000, 5000)):
        self.frames, self.port, self.server_port = frames, port, server_port
        self.client, self.server = client, server
        self.client_seq, self.server_seq = isn
        frames.append(tcp(client, port, server, server_port, self.client_seq, 0, 0x02))
        frames.append(tcp(server, server_port, client, port, self.server_seq, self.client_seq + 1, 0x12))
        self.client_seq += 1
        self.server_seq += 1
        frames.append(tcp(client, port, server, server_port, self.client_seq, self.server_seq, 0x10))

    def send(self, payload, from_client=True, lost=False, flags=0x18, after=0):
        """`after`: seconds of silence before this segment."""
        if from_client:
            frame = tcp(self.client, self.port, self.server, self.server_port, self.client_seq, self.server_seq,
                        flags, payload)
            self.client_seq += len(payload)
        else:
            frame = tcp(self.server, self.server_port, self.client, self.port, self.server_seq, self.client_seq,
                        flags, payload)
            self.server_seq += len(payload)
        if not lost:
            self.frames.append((after, frame) if after else frame)

    def close(self, server_first=False):
        sides = [False, True] if server_first else [True, False]
        for from_client in sides:
            self.send(b"", from_client=from_client, flags=0x11)
            if from_client:
                self.client_seq += 1
            else:
                self.server_seq += 1
        self.send(b"", from_client=not sides[1], flags=0x10)

    def reset(self, from_client=True):
        self.send(b"", from_client=from_client, flags=0x14)
