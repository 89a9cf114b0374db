#!/usr/bin/env python3
"""Rewrites the frames of a real Ethernet capture into other link layers.

No Linux capturer writes BSD loopback, PPP, PPPoE, Cisco HDLC or raw IP, so
the link-type tests get them from a real capture (make-linktypes.sh's
lo.pcap): each frame keeps its IP datagram byte for byte and only its
14-byte Ethernet header is replaced by the target link's header, built here
from the link type's published layout. tshark then reads every output as
the independent oracle.

usage: relink.py SOURCE.pcap OUTDIR
"""
import struct
import sys

ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD


def read_pcap(path):
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "little-endian pcap expected"
    assert struct.unpack("<I", data[20:24])[0] == 1, "Ethernet source expected"
    frames, offset = [], 24
    while offset + 16 <= len(data):
        seconds, fraction, captured, _ = struct.unpack("<IIII", data[offset:offset + 16])
        frames.append((seconds, fraction, data[offset + 16:offset + 16 + captured]))
        offset += 16 + captured
    return magic, frames


def write_pcap(path, magic, linktype, frames, big_endian=False):
    order = ">" if big_endian else "<"
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)]
    for seconds, fraction, frame in frames:
        out.append(struct.pack(order + "IIII", seconds, fraction, len(frame), len(frame)) + frame)
    open(path, "wb").write(b"".join(out))


def ip_of(frame):
    """(EtherType, IP datagram) of an untagged Ethernet frame."""
    return struct.unpack(">H", frame[12:14])[0], frame[14:]


def null_header(ethertype, byte_order, inet6):
    family = 2 if ethertype == ETHERTYPE_IPV4 else inet6
    return struct.pack(byte_order + "I", family)


def ppp_protocol(ethertype):
    return struct.pack(">H", 0x0021 if ethertype == ETHERTYPE_IPV4 else 0x0057)


def rewrite(frames, header):
    return [(s, f, header(*ip_of(frame)) + ip_of(frame)[1]) for s, f, frame in frames]


def pppoe_frame(frame):
    ethertype, datagram = ip_of(frame)
    ppp = ppp_protocol(ethertype) + datagram
    # Version 1 type 1, code 0 (session data), session id 0x1234, length.
    return frame[:12] + struct.pack(">HBBHH", 0x8864, 0x11, 0, 0x1234, len(ppp)) + ppp


def pcapng(frames_by_interface, linktypes, magic):
    """Section header, one interface per link type, then the packets in
    the given order; timestamps in the source's resolution."""
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    nanoseconds = magic == 0xA1B23C4D
    for linktype in linktypes:
        options = struct.pack("<HHB3x", 9, 1, 9) if nanoseconds else b""  # if_tsresol
        out.append(block(1, struct.pack("<HHI", linktype, 0, 262144) + options + b"\0" * 4 * bool(options)))
    for interface, (seconds, fraction, frame) in frames_by_interface:
        ticks = seconds * (1_000_000_000 if nanoseconds else 1_000_000) + fraction
        out.append(block(6, struct.pack("<IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF,
                                        len(frame), len(frame)) + frame))
    return b"".join(out)


def main():
    source, outdir = sys.argv[1], sys.argv[2]
    magic, frames = read_pcap(source)
    v4 = [x for x in frames if ip_of(x[2])[0] == ETHERTYPE_IPV4]
    v6 = [x for x in frames if ip_of(x[2])[0] == ETHERTYPE_IPV6]
    assert len(v4) + len(v6) == len(frames), "IP-only source expected"

    # NULL: the writer's byte order. A little-endian macOS host (AF_INET6
    # 30), a big-endian host with the pcap header big-endian too (NetBSD's
    # 24); LOOP is always network order (OpenBSD, 24).
    write_pcap(f"{outdir}/null-le.pcap", magic, 0, rewrite(frames, lambda t, _: null_header(t, "<", 30)))
    write_pcap(f"{outdir}/null-be.pcap", magic, 0, rewrite(frames, lambda t, _: null_header(t, ">", 24)),
               big_endian=True)
    write_pcap(f"{outdir}/loop.pcap", magic, 108, rewrite(frames, lambda t, _: null_header(t, ">", 24)))
    write_pcap(f"{outdir}/ppp.pcap", magic, 9, rewrite(frames, lambda t, _: ppp_protocol(t)))
    write_pcap(f"{outdir}/ppp-hdlc.pcap", magic, 9, rewrite(frames, lambda t, _: b"\xff\x03" + ppp_protocol(t)))
    write_pcap(f"{outdir}/pppoe.pcap", magic, 1, [(s, f, pppoe_frame(x)) for s, f, x in frames])
    write_pcap(f"{outdir}/chdlc.pcap", magic, 104, rewrite(frames, lambda t, _: b"\x0f\x00" + struct.pack(">H", t)))
    write_pcap(f"{outdir}/raw.pcap", magic, 101, rewrite(frames, lambda t, _: b""))
    write_pcap(f"{outdir}/ipv4.pcap", magic, 228, rewrite(v4, lambda t, _: b""))
    write_pcap(f"{outdir}/ipv6.pcap", magic, 229, rewrite(v6, lambda t, _: b""))

    # One pcapng, three decodable interfaces taking turns (Ethernet, NULL,
    # PPP) and a fourth of link type USER0 (147) that repeats every third
    # frame: the reader must switch link type per packet and skip only those.
    headers = [lambda t: None, lambda t: null_header(t, "<", 30), lambda t: b"\xff\x03" + ppp_protocol(t)]
    mixed = []
    for index, (seconds, fraction, frame) in enumerate(frames):
        interface = index % 3
        ethertype, datagram = ip_of(frame)
        linked = frame if interface == 0 else headers[interface](ethertype) + datagram
        mixed.append((interface, (seconds, fraction, linked)))
        if index % 3 == 2:
            mixed.append((3, (seconds, fraction, frame)))
    open(f"{outdir}/mixed.pcapng", "wb").write(pcapng(mixed, [1, 0, 9, 147], magic))


if __name__ == "__main__":
    main()
