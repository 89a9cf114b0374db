import Testing
@testable import ScopeDecode

@Suite("Packet decoder: malformed input")
struct DecoderErrorTests {
    static func ipv4Frame(_ proto: UInt8, _ payload: [UInt8]) -> [UInt8] {
        Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: proto, payload: payload))
    }

    static func ipv6Frame(_ next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: next, payload: payload))
    }

    /// One crafted packet per reason, and the reason it must produce.
    static let cases: [(name: String, bytes: [UInt8], reason: DecodeError)] = [
        ("short ethernet", [UInt8](repeating: 0, count: 13), .truncatedEthernet),
        ("cut VLAN tag", Build.ethernet(etherType: 0x8100, payload: [0x00]), .truncatedVLAN),
        ("ipv6 ethertype, v4 header", Build.ethernet(etherType: 0x86DD, payload: Build.ipv4(proto: 17, payload: [UInt8](repeating: 0, count: 40))), .badIPVersion),
        ("short ipv4", Build.ethernet(etherType: 0x0800, payload: [0x45, 0, 0, 20]), .truncatedIPv4),
        ("ihl 4", Build.ethernet(etherType: 0x0800, payload: [0x44] + Array(Build.ipv4(proto: 17, payload: []).dropFirst())), .badIPv4HeaderLength),
        ("total length < header", Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 17, payload: [], totalLength: 19)), .badIPv4TotalLength),
        ("total length > frame", Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 17, payload: [], totalLength: 200)), .truncatedIPv4),
        ("short ipv6", Build.ethernet(etherType: 0x86DD, payload: [0x60] + [UInt8](repeating: 0, count: 30)), .truncatedIPv6),
        ("ipv6 payload length > frame", Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 59, payload: [], payloadLength: 100)), .truncatedIPv6),
        ("ext header past datagram", ipv6Frame(60, [17, 4, 0, 0, 0, 0, 0, 0]), .badExtensionHeader),
        ("ext header of 1 byte", ipv6Frame(0, [17]), .badExtensionHeader),
        ("fragment header cut", ipv6Frame(44, [17, 0, 0, 0]), .badExtensionHeader),
        ("endless ext headers", ipv6Frame(60, [UInt8]((0..<20).flatMap { _ in Build.extensionHeader(next: 60) })), .badExtensionHeader),
        ("short tcp", ipv4Frame(6, [UInt8](repeating: 0, count: 19)), .truncatedTCP),
        ("tcp data offset 4", ipv4Frame(6, Build.tcp(dataOffsetWords: 4)), .badTCPDataOffset),
        ("tcp data offset past segment", ipv4Frame(6, Build.tcp(dataOffsetWords: 15)), .badTCPDataOffset),
        ("short udp", ipv4Frame(17, [0, 53, 0, 53, 0]), .truncatedUDP),
        ("udp length 7", ipv4Frame(17, Build.udp(payload: [], length: 7)), .badUDPLength),
        ("udp length past datagram", ipv4Frame(17, Build.udp(payload: [1], length: 30)), .badUDPLength),
        ("short icmp", ipv4Frame(1, [8, 0, 0, 0, 0]), .truncatedICMP),
        ("short icmpv6", ipv6Frame(58, [128, 0, 0]), .truncatedICMP),
        ("short gre", ipv4Frame(47, [0, 0, 8]), .truncatedGRE),
        ("gre key missing", ipv4Frame(47, [0x20, 0, 0x08, 0, 0, 0]), .truncatedGRE),
        ("short vxlan", ipv4Frame(17, Build.udp(destinationPort: 4789, payload: [8, 0, 0])), .truncatedVXLAN),
        ("vxlan without I flag", ipv4Frame(17, Build.udp(destinationPort: 4789, payload: Build.vxlan(vni: 1, flags: 0, payload: []))), .badVXLANFlags),
        ("arp", Build.ethernet(etherType: 0x0806, payload: []), .unsupportedEtherType),
        ("short pppoe", Build.ethernet(etherType: 0x8864, payload: [0x11, 0, 0, 1]), .truncatedLinkHeader),
        ("pppoe discovery code", Build.ethernet(etherType: 0x8864, payload: [0x11, 0x09, 0, 0, 0, 0]), .badPPPoEHeader),
    ]

    @Test func everyReasonHasACase() {
        let covered = Set(DecoderErrorTests.cases.map(\.reason))
        let elsewhere: Set<DecodeError> = [.tunnelTooDeep, .badIPv4Checksum]  // TunnelTests, IPv4ChecksumTests
        let missing = DecodeError.allCases.filter { !covered.contains($0) && !elsewhere.contains($0) }
        #expect(missing.isEmpty, "no crafted packet for \(missing)")
    }

    @Test func craftedPacketsFailWithTheirReason() {
        for (name, bytes, reason) in DecoderErrorTests.cases {
            let (_, error, counters) = decode(bytes)
            #expect(error == reason, "\(name)")
            #expect(counters[reason] == 1, "\(name)")
            #expect(counters.decoded == 0, "\(name)")
        }
    }

    @Test func emptyBuffer() {
        #expect(decode([]).error == .truncatedEthernet)
        #expect(decode([], linkType: .rawIP).error == .truncatedIPv4)
        #expect(decode([0x70], linkType: .rawIP).error == .badIPVersion)
    }

    /// Valid packets of every kind, cut at every length: each prefix must
    /// decode without trapping and fail with a truncation reason of a layer
    /// that the full packet contains.
    static let fullPackets: [(name: String, bytes: [UInt8], reasons: Set<DecodeError>)] = [
        ("ipv4 tcp syn", Build.tcpSYN(), [.truncatedEthernet, .truncatedIPv4]),
        ("qinq ipv6 ext udp", Build.ethernet(vlans: [(0x88A8, 5), (0x8100, 6)], etherType: 0x86DD,
            payload: Build.ipv6(nextHeader: 0, payload: Build.extensionHeader(next: 17) + Build.udp(payload: [1, 2])))
            , [.truncatedEthernet, .truncatedVLAN, .truncatedIPv6]),
        ("ipv4 icmp", ipv4Frame(1, Build.icmp(type: 8, identifier: 1, sequence: 1)), [.truncatedEthernet, .truncatedIPv4]),
        ("vxlan", TunnelTests.vxlanFrame(), [.truncatedEthernet, .truncatedVLAN, .truncatedIPv4]),
    ]

    @Test func everyTruncationFailsSafely() {
        for (name, bytes, reasons) in DecoderErrorTests.fullPackets {
            #expect(decode(bytes).error == nil, "\(name) full")
            for cut in 0..<bytes.count {
                let (_, error, _) = decode(Array(bytes[0..<cut]))
                #expect(error.map { reasons.contains($0) } == true, "\(name) cut at \(cut): \(String(describing: error))")
            }
        }
    }

    /// Cutting the IP datagram itself (total length follows the cut) reaches
    /// the transport layers' own truncation checks.
    @Test func shrinkingDatagramHitsTransportChecks() {
        let segment = Build.tcp(flags: [.ack], options: [1, 1, 1, 1])
        var seen = Set<DecodeError>()
        for cut in 0..<segment.count {
            let frame = DecoderErrorTests.ipv4Frame(6, Array(segment[0..<cut]))
            if let error = decode(frame).error { seen.insert(error) }
        }
        #expect(seen == [.truncatedTCP, .badTCPDataOffset])
    }

    /// Deterministic random mutations of valid packets must never trap.
    @Test func randomMutationsNeverTrap() {
        var rng = SplitMix(seed: 0x5EED)
        let seeds = DecoderErrorTests.fullPackets.map(\.bytes) + [TunnelTests.greEthernetFrame()]
        var decoder = PacketDecoder()
        var packet = DecodedPacket()
        for _ in 0..<20_000 {
            var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + rng.next() % 4) {
                let position = Int(rng.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 3 == 0 { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
            bytes.withUnsafeBytes { _ = decoder.decode($0, into: &packet) }
            // Whatever happened, reported layers must lie inside the buffer.
            #expect(packet.payloadOffset >= 0 && packet.payloadLength >= 0)
            #expect(packet.payloadOffset + packet.payloadLength <= bytes.count)
        }
        #expect(decoder.counters.packets == 20_000)
        #expect(decoder.counters.decoded + decoder.counters.malformed + decoder.counters.other == 20_000)
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return FlowKey.mix(state)
    }
}
