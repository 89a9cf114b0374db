#!/usr/bin/env python3
"""make-headers-relay.py — user-space tunnel endpoints for make-headers.sh.

The test kernel has neither 802.1Q nor GRE support, so these endpoints do
the encapsulation: the kernel's own traffic (ping, TCP, UDP) goes into a TUN
or TAP device, and this relay wraps it on the way out and unwraps it on the
way in. Both namespaces run one relay per tunnel, so every packet in the
capture is real stack traffic inside a real (user-space built) header.

  vlan IFNAME LOWER TAGS         TAP IFNAME <-> AF_PACKET on LOWER; TAGS is
                                 "TPID:TCI[,TPID:TCI]" (hex TPID, decimal TCI),
                                 outermost first: 802.1Q or QinQ.
  gre  IFNAME REMOTE KIND [FLAGS] KIND tun (IP in GRE, TUN device) or tap
                                 (Ethernet in GRE, 0x6558); REMOTE is the outer
                                 IPv4 or IPv6 peer; FLAGS: key=N, seq, csum.

Runs until killed. Linux only; needs CAP_NET_ADMIN and CAP_NET_RAW.
"""
import fcntl, os, select, socket, struct, sys

TUNSETIFF, IFF_TUN, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0001, 0x0002, 0x1000
SOL_PACKET, PACKET_AUXDATA, ETH_P_ALL, PACKET_OUTGOING = 263, 8, 0x0003, 4
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40


def open_tun(name, flags):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags | IFF_NO_PI))
    return fd


def deliver(fd, data):
    """Hands a frame to the kernel; a device that is still down refuses it."""
    try:
        os.write(fd, data)
    except OSError:
        pass


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def vlan(name, lower, spec):
    tags = b"".join(struct.pack("!HH", int(t, 16), int(c)) for t, c in (p.split(":") for p in spec.split(",")))
    tap = open_tun(name, IFF_TAP)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((lower, 0))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    while True:
        ready, _, _ = select.select([tap, sock], [], [])
        if tap in ready:
            frame = os.read(tap, 65536)
            sock.send(frame[:12] + tags + frame[12:])
        if sock in ready:
            frame, ancillary, _, address = sock.recvmsg(65536, socket.CMSG_SPACE(20))
            if address[2] == PACKET_OUTGOING:
                continue
            # The receive path moves the outer tag into metadata: put it back.
            for level, kind, data in ancillary:
                if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= 20:
                    status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", data[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
                        frame = frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]
            if frame[12:12 + len(tags)] == tags:
                deliver(tap, frame[:12] + frame[12 + len(tags):])


def gre(name, remote, kind, flags):
    key = next((int(f[4:]) for f in flags if f.startswith("key=")), None)
    use_seq, use_csum = "seq" in flags, "csum" in flags
    family = socket.AF_INET6 if ":" in remote else socket.AF_INET
    remote = socket.inet_ntop(family, socket.inet_pton(family, remote))  # as recvfrom spells it
    device = open_tun(name, IFF_TAP if kind == "tap" else IFF_TUN)
    sock = socket.socket(family, socket.SOCK_RAW, 47)
    sequence = 0
    while True:
        ready, _, _ = select.select([device, sock], [], [])
        if device in ready:
            inner = os.read(device, 65536)
            proto = 0x6558 if kind == "tap" else (0x86DD if inner[0] >> 4 == 6 else 0x0800)
            bits = (0x8000 if use_csum else 0) | (0x2000 if key is not None else 0) | (0x1000 if use_seq else 0)
            fields = b""
            if key is not None:
                fields += struct.pack("!I", key)
            if use_seq:
                fields += struct.pack("!I", sequence)
                sequence += 1
            header = struct.pack("!HH", bits, proto)
            if use_csum:
                body = header + b"\0\0\0\0" + fields + inner
                header += struct.pack("!HH", checksum(body), 0)
            sock.sendto(header + fields + inner, (remote, 0))
        if sock in ready:
            packet, source = sock.recvfrom(65536)
            if source[0] != remote:
                continue
            if family == socket.AF_INET:  # IPv4 raw sockets see the IP header too
                packet = packet[(packet[0] & 0x0F) * 4:]
            bits, proto = struct.unpack("!HH", packet[:4])
            offset = 4 + 4 * bool(bits & 0x8000)
            their_key = None
            if bits & 0x2000:
                their_key = struct.unpack("!I", packet[offset:offset + 4])[0]
                offset += 4
            offset += 4 * bool(bits & 0x1000)
            wanted = (0x6558,) if kind == "tap" else (0x0800, 0x86DD)
            if proto in wanted and their_key == key:
                deliver(device, packet[offset:])


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "vlan":
        vlan(*args)
    elif mode == "gre":
        gre(args[0], args[1], args[2], args[3:])
    else:
        sys.exit("usage: make-headers-relay.py vlan|gre ...")
