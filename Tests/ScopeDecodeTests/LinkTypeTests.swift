import Testing
@testable import ScopeDecode

/// Link layers other than Ethernet, each wrapped around the same IPv4 and
/// IPv6 TCP segments: whatever the link, the decoded IP and transport layers
/// and the flow key must be exactly those of the Ethernet frame.
@Suite("Packet decoder: link types")
struct LinkTypeTests {
    static let tcp4 = Build.ipv4(proto: 6, payload: Build.tcp(payload: Array("GET /".utf8)))
    static let tcp6 = Build.ipv6(nextHeader: 6, payload: Build.tcp(payload: Array("GET /".utf8)))

    /// Every way of carrying `datagram` (EtherType `etherType`) this suite checks.
    static func links(_ datagram: [UInt8], etherType: UInt16) -> [(name: String, linkType: LinkType, bytes: [UInt8])] {
        let v4 = etherType == 0x0800
        let pppProtocol = Build.be16(v4 ? 0x0021 : 0x0057)
        let sllAddress: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        var all: [(String, LinkType, [UInt8])] = [
            ("raw", .rawIP, datagram),
            (v4 ? "ipv4" : "ipv6", v4 ? .ipv4 : .ipv6, datagram),
            ("sll", .linuxSLL, Build.be16(0) + Build.be16(772) + Build.be16(6) + sllAddress + Build.be16(etherType) + datagram),
            ("sll vlan", .linuxSLL, Build.be16(4) + Build.be16(1) + Build.be16(6) + sllAddress + Build.be16(0x8100)
                + Build.be16(7) + Build.be16(etherType) + datagram),
            ("sll2", .linuxSLL2, Build.be16(etherType) + [0, 0] + Build.be32(1) + Build.be16(772) + [0, 6] + sllAddress + datagram),
            ("loop", .loop, Build.be32(v4 ? 2 : 24) + datagram),
            ("ppp", .ppp, pppProtocol + datagram),
            ("ppp hdlc", .ppp, [0xFF, 0x03] + pppProtocol + datagram),
            ("ppp compressed protocol", .ppp, [pppProtocol[1]] + datagram),
            ("ppp carrying cisco hdlc", .ppp, [0x8F, 0x00] + Build.be16(etherType) + datagram),
            ("pppoe", .pppoe, [0x11, 0, 0x12, 0x34] + Build.be16(UInt16(datagram.count + 2)) + pppProtocol + datagram),
            ("pppoe in ethernet", .ethernet, Build.ethernet(etherType: 0x8864, payload: [0x11, 0, 0x12, 0x34]
                + Build.be16(UInt16(datagram.count + 2)) + pppProtocol + datagram)),
            ("pppoe in vlan", .ethernet, Build.ethernet(vlans: [(0x8100, 9)], etherType: 0x8864, payload: [0x11, 0, 0, 1]
                + Build.be16(UInt16(datagram.count + 2)) + pppProtocol + datagram)),
            ("cisco hdlc", .ciscoHDLC, [0x0F, 0x00] + Build.be16(etherType) + datagram),
        ]
        // NULL: the family in either byte order, with each OS's AF_INET6.
        for family: UInt32 in v4 ? [2] : [10, 24, 28, 30] {
            all.append(("null big-endian \(family)", .null, Build.be32(family) + datagram))
            all.append(("null little-endian \(family)", .null, Build.be32(family).reversed() + datagram))
        }
        return all
    }

    @Test(arguments: [(tcp4, UInt16(0x0800)), (tcp6, UInt16(0x86DD))])
    func sameLayersAndFlowAsEthernet(datagram: [UInt8], etherType: UInt16) throws {
        for (name, linkType, bytes) in Self.links(datagram, etherType: etherType) {
            let (packet, error, counters) = decode(bytes, linkType: linkType)
            // The VLAN id is part of a flow's identity, on any link: a tagged
            // frame is compared with the Ethernet frame carrying the same tag.
            let vlans = packet.vlanCount > 0 ? [(UInt16(0x8100), packet.vlanIDs.outer)] : []
            let reference = decode(Build.ethernet(vlans: vlans, etherType: etherType, payload: datagram))
            #expect(reference.error == nil)
            let referenceKey = try #require(FlowKey.make(for: reference.packet))
            #expect(error == nil, "\(name)")
            #expect(counters.decoded == 1 && counters.tcp == 1, "\(name)")
            #expect(packet.linkType == linkType, "\(name)")
            #expect(packet.network == reference.packet.network, "\(name)")
            #expect(packet.source == reference.packet.source && packet.destination == reference.packet.destination, "\(name)")
            #expect(packet.sourcePort == 40000 && packet.destinationPort == 80, "\(name)")
            #expect(packet.payloadLength == 5 && packet.payloadOffset == bytes.count - 5, "\(name)")
            // Community ID and flow identity: the link never enters the key.
            let key = FlowKey.make(for: packet)
            #expect(key?.key == referenceKey.key && key?.direction == referenceKey.direction, "\(name)")
        }
    }

    /// The tag inside a Linux cooked header is the wire's VLAN, as on Ethernet.
    @Test func vlanInsideLinuxCooked() {
        let sll = Self.links(Self.tcp4, etherType: 0x0800).first { $0.name == "sll vlan" }!
        let packet = decode(sll.bytes, linkType: .linuxSLL).packet
        #expect(packet.vlanCount == 1 && packet.vlanIDs.outer == 7)
    }

    /// PPPoE's length ends the PPP frame: Ethernet padding after it is not
    /// part of the datagram (here the IPv4 total length agrees anyway).
    @Test func pppoeLengthBoundsTheFrame() {
        let session: [UInt8] = [0x11, 0, 0, 1] + Build.be16(UInt16(Self.tcp4.count + 2)) + [0, 0x21] + Self.tcp4
        let padded = Build.ethernet(etherType: 0x8864, payload: session + [0xEE, 0xEE, 0xEE])
        let (packet, error, _) = decode(padded)
        #expect(error == nil)
        #expect(packet.networkEnd == padded.count - 3)
        // A length past the buffer is a cut-off frame.
        var long = session
        long[5] &+= 10
        #expect(decode(Build.ethernet(etherType: 0x8864, payload: long)).error == .truncatedLinkHeader)
        // Discovery (0x8863) and non-session codes carry no IP.
        #expect(decode(Build.ethernet(etherType: 0x8863, payload: session)).error == .unsupportedEtherType)
        var padi = session
        padi[1] = 0x09
        #expect(decode(Build.ethernet(etherType: 0x8864, payload: padi)).error == .badPPPoEHeader)
    }

    /// Non-IP payloads are "other" (like ARP), not malformed, and say what they were.
    @Test func nonIPPayloadsAreOther() {
        let cases: [(String, LinkType, [UInt8], UInt16)] = [
            ("sll arp", .linuxSLL, [0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x06, 1, 2], 0x0806),
            ("ppp lcp", .ppp, [0xFF, 0x03, 0xC0, 0x21, 1, 1, 0, 4], 0xC021),
            ("null unknown family", .null, [7, 0, 0, 0, 0x45], 7),
            ("loop unknown family", .loop, [0, 0, 0, 99, 0x45], 99),
            ("cisco hdlc slarp", .ciscoHDLC, [0x8F, 0, 0x80, 0x35, 0, 0, 0, 0], 0x8035),
        ]
        for (name, linkType, bytes, value) in cases {
            let (packet, error, counters) = decode(bytes, linkType: linkType)
            #expect(error == .unsupportedEtherType, "\(name)")
            #expect(packet.network == .other && packet.etherType == value, "\(name)")
            #expect(counters.other == 1 && counters.malformed == 0, "\(name)")
        }
    }

    /// A raw link type fixes the IP version: 228 carrying IPv6 is malformed.
    @Test func rawVersionIsFixed() {
        #expect(decode(Self.tcp6, linkType: .ipv4).error == .badIPVersion)
        #expect(decode(Self.tcp4, linkType: .ipv6).error == .badIPVersion)
    }

    /// Every prefix of every link's frame decodes without trapping; one
    /// shorter than the link header fails as a truncated link header.
    @Test func everyCutIsSafe() {
        for (datagram, etherType) in [(Self.tcp4, UInt16(0x0800)), (Self.tcp6, UInt16(0x86DD))] {
            for (name, linkType, bytes) in Self.links(datagram, etherType: etherType) {
                let headerLength = bytes.count - datagram.count
                for cut in 0..<bytes.count {
                    let error = decode(Array(bytes[..<cut]), linkType: linkType).error
                    #expect(error != nil, "\(name) cut at \(cut)")
                    if cut < headerLength && linkType != .ethernet {
                        #expect(error == .truncatedLinkHeader || error == .truncatedVLAN, "\(name) cut at \(cut): \(String(describing: error))")
                    }
                }
            }
        }
    }

    @Test func pcapLinkTypeNumbers() {
        let expected: [UInt16: LinkType] = [
            0: .null, 1: .ethernet, 9: .ppp, 12: .rawIP, 14: .rawIP, 50: .ppp, 51: .pppoe, 101: .rawIP,
            104: .ciscoHDLC, 108: .loop, 113: .linuxSLL, 228: .ipv4, 229: .ipv6, 276: .linuxSLL2,
        ]
        for value in UInt16(0)...300 {
            #expect(LinkType(pcapLinkType: value) == expected[value], "link type \(value)")
        }
    }
}

/// Bad IPv4 header checksums: counted and decoded by default (captures on
/// the sending host carry checksums the NIC fills in later); dropped as
/// malformed only when the decoder verifies them.
@Suite("Packet decoder: IPv4 header checksums")
struct IPv4ChecksumTests {
    static let bad = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 6, payload: Build.tcp(), corruptChecksum: true))

    @Test func countedAndDecodedByDefault() {
        let (packet, error, counters) = decode(Self.bad)
        #expect(error == nil && packet.transport == .tcp)
        #expect(!packet.ipv4ChecksumValid)
        #expect(counters.ipv4ChecksumErrors == 1 && counters.malformed == 0 && counters.decoded == 1)
    }

    @Test func droppedWhenVerifying() {
        let (packet, error, counters) = decode(Self.bad, decoder: PacketDecoder(verifiesIPv4Checksums: true))
        #expect(error == .badIPv4Checksum)
        #expect(packet.network == .none && packet.transport == .none)
        #expect(FlowKey.make(for: packet) == nil)
        #expect(counters.ipv4ChecksumErrors == 1 && counters[.badIPv4Checksum] == 1 && counters.malformed == 1)
        #expect(counters.ipv4 == 0 && counters.decoded == 0)
        // A good checksum still decodes when verifying.
        let good = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 6, payload: Build.tcp()))
        #expect(decode(good, decoder: PacketDecoder(verifiesIPv4Checksums: true)).error == nil)
    }
}
