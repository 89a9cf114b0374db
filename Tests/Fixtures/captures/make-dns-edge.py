#!/usr/bin/env python3
"""Builds the DNS edge-case captures of issue 17 (no server sends these on
request, so the messages are packed by hand from RFC 1035's layout):

  dns-padding.pcap     responses followed by padding (zeros, then junk)
  dns-corrupt.pcap     responses with one broken record in the additional
                       or authority section (a record cut inside its fixed
                       fields, a compression pointer out of the message)
  dns-types.pcap       one query and empty answer per RR type: every value
                       assigned by IANA plus a few unassigned ones
  dns-tcp-gap.pcap     DNS over TCP with lost client segments: a whole
                       message, the start of a message, and the middle of one
  dns-lookalikes.pcap  LLMNR, mDNS and NetBIOS name service traffic, and one
                       DNS query on a non-standard port (5300)

tshark reads the same files in the oracle tests (DNSEdgeOracleTests).
Deterministic: rerunning gives the same bytes.

usage: make-dns-edge.py [OUTDIR]   (default: this script's directory)
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pcapbuild import CLIENT, SERVER, ip4, tcp, udp, write_pcap


def name(text):
    if text == ".":
        return b"\0"
    return b"".join(bytes([len(label)]) + label.encode() for label in text.split(".")) + b"\0"


def header(ident, flags, questions=1, answers=0, authorities=0, additionals=0):
    return struct.pack("!HHHHHH", ident, flags, questions, answers, authorities, additionals)


def question(qname, qtype=1):
    return name(qname) + struct.pack("!HH", qtype, 1)


def record(owner, rtype, data, ttl=300):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(data)) + data


QUESTION = b"\xc0\x0c"  # compression pointer to the question name


def query(ident, qname, qtype=1):
    return header(ident, 0x0100) + question(qname, qtype)


def exchange(ident, qname, response, port):
    return [udp(CLIENT, port, SERVER, 53, query(ident, qname)), udp(SERVER, 53, CLIENT, port, response)]


def padding():
    frames = []
    answer = record(QUESTION, 1, ip4("10.99.0.5"))
    zeros = header(0x1001, 0x8180, answers=1) + question("pad.test") + answer + b"\0" * 8
    frames += exchange(0x1001, "pad.test", zeros, 40001)
    junk = header(0x1002, 0x8180, answers=1) + question("junk.test") + answer + b"\xde\xad\xbe"
    frames += exchange(0x1002, "junk.test", junk, 40002)
    clean = header(0x1003, 0x8180, answers=1) + question("clean.test") + answer
    frames += exchange(0x1003, "clean.test", clean, 40003)
    return frames


def corrupt():
    frames = []
    answers = record(QUESTION, 1, ip4("10.99.0.5")) + record(QUESTION, 1, ip4("10.99.0.6"))
    authority = record(b"\xc0\x10", 2, name("ns.test"))  # "test" (in the question) -> ns.test
    # Additional: the second record ends inside its fixed fields (type,
    # class, half a TTL), as a response cut short would.
    additional = record(name("ns.test"), 1, ip4("10.99.0.1")) + name("x.test") + struct.pack("!HHH", 1, 1, 0)
    response = header(0x2001, 0x8180, answers=2, authorities=1, additionals=2) + question("add.test") + answers \
        + authority + additional
    frames += exchange(0x2001, "add.test", response, 40101)
    # Authority: the owner name is a pointer past the end of the message.
    response = header(0x2002, 0x8180, answers=1, authorities=1) + question("auth.test") \
        + record(QUESTION, 1, ip4("10.99.0.8")) + record(b"\xc3\xff", 2, name("ns.test"))
    frames += exchange(0x2002, "auth.test", response, 40102)
    return frames


ASSIGNED = list(range(1, 54)) + list(range(55, 69)) + list(range(99, 110)) + [128] + list(range(249, 265)) \
    + [32768, 32769]
UNASSIGNED = [54, 69, 98, 110, 127, 129, 248, 265, 32767, 32770, 65280, 65535]


def types():
    frames = []
    for index, qtype in enumerate(ASSIGNED + UNASSIGNED):
        ident = 0x3000 + index
        qname = "t%d.test" % qtype
        response = header(ident, 0x8180) + question(qname, qtype)
        frames += [udp(CLIENT, 41000 + index, SERVER, 53, query(ident, qname, qtype)),
                   udp(SERVER, 53, CLIENT, 41000 + index, response)]
    return frames


def framed(message):
    return struct.pack("!H", len(message)) + message


def tcp_gap():
    port, client_seq, server_seq = 40200, 1000, 5000
    frames = [tcp(CLIENT, port, SERVER, 53, client_seq, 0, 0x02),
              tcp(SERVER, 53, CLIENT, port, server_seq, client_seq + 1, 0x12),
              tcp(CLIENT, port, SERVER, 53, client_seq + 1, server_seq + 1, 0x10)]
    client_seq += 1
    server_seq += 1

    def client(payload, lost=False):
        nonlocal client_seq
        if not lost:
            frames.append(tcp(CLIENT, port, SERVER, 53, client_seq, server_seq, 0x18, payload))
        client_seq += len(payload)

    def server(ident, qname):
        nonlocal server_seq
        payload = framed(header(ident, 0x8180, answers=1) + question(qname) + record(QUESTION, 1, ip4("10.99.0.5")))
        frames.append(tcp(SERVER, 53, CLIENT, port, server_seq, client_seq, 0x18, payload))
        server_seq += len(payload)

    client(framed(query(0x4001, "one.test")))
    server(0x4001, "one.test")
    # A whole message lost: the next one starts the next segment.
    client(framed(query(0x4002, "lost.test")), lost=True)
    client(framed(query(0x4003, "three.test")))
    server(0x4002, "lost.test")
    server(0x4003, "three.test")
    # The start of a message lost (its prefix too): its end and the next
    # message share the segment after the gap.
    four = framed(query(0x4004, "four.test"))
    client(four[:9], lost=True)
    client(four[9:] + framed(query(0x4005, "five.test")))
    server(0x4004, "four.test")
    server(0x4005, "five.test")
    # The middle of a message lost: its prefix arrived, so the next
    # message is exactly where the length says.
    six = framed(query(0x4006, "six.test"))
    client(six[:8])
    client(six[8:14], lost=True)
    client(six[14:] + framed(query(0x4007, "seven.test")))
    server(0x4006, "six.test")
    server(0x4007, "seven.test")
    frames.append(tcp(CLIENT, port, SERVER, 53, client_seq, server_seq, 0x11))
    frames.append(tcp(SERVER, 53, CLIENT, port, server_seq, client_seq + 1, 0x11))
    frames.append(tcp(CLIENT, port, SERVER, 53, client_seq + 1, server_seq + 1, 0x10))
    return frames


def netbios_name(text):
    padded = text.upper().ljust(15)[:15] + "\0"
    encoded = "".join(chr(0x41 + (ord(c) >> 4)) + chr(0x41 + (ord(c) & 0xF)) for c in padded)
    return bytes([32]) + encoded.encode() + b"\0"


def lookalikes():
    frames = []
    # LLMNR (RFC 4795): query to the multicast group, unicast answer.
    llmnr_query = header(0x5001, 0x0000) + question("wpad")
    llmnr_answer = header(0x5001, 0x8000, answers=1) + question("wpad") + record(QUESTION, 1, ip4("10.99.0.1"), 30)
    frames += [udp(CLIENT, 50001, "224.0.0.252", 5355, llmnr_query), udp(SERVER, 5355, CLIENT, 50001, llmnr_answer)]
    # mDNS (RFC 6762): one question, id 0, from and to 5353.
    mdns_query = header(0, 0) + question("printer.local")
    mdns_answer = header(0, 0x8400, questions=0, answers=1) + record(name("printer.local"), 1, ip4("10.99.0.1"), 120)
    frames += [udp(CLIENT, 5353, "224.0.0.251", 5353, mdns_query), udp(SERVER, 5353, "224.0.0.251", 5353, mdns_answer)]
    # NetBIOS name service (RFC 1002): a broadcast name query, type NB.
    nbns_query = struct.pack("!HHHHHH", 0x5003, 0x0110, 1, 0, 0, 0) + netbios_name("WORKGROUP") + struct.pack("!HH", 0x20, 1)
    frames.append(udp(CLIENT, 137, "10.99.0.255", 137, nbns_query))
    # Plain DNS on a port nobody assigned to it: still found by content.
    other = header(0x5004, 0x8180, answers=1) + question("other.test") + record(QUESTION, 1, ip4("10.99.0.9"))
    frames += [udp(CLIENT, 40300, SERVER, 5300, query(0x5004, "other.test")), udp(SERVER, 5300, CLIENT, 40300, other)]
    return frames


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for file, frames in [("dns-padding.pcap", padding()), ("dns-corrupt.pcap", corrupt()), ("dns-types.pcap", types()),
                         ("dns-tcp-gap.pcap", tcp_gap()), ("dns-lookalikes.pcap", lookalikes())]:
        write_pcap(os.path.join(out, file), frames)


if __name__ == "__main__":
    main()
