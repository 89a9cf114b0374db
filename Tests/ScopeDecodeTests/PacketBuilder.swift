@testable import ScopeDecode

/// Hand-built packets, byte by byte, for the decoder tests. Checksums of
/// transport layers are left zero (the decoder does not verify them); the
/// IPv4 header checksum is computed unless a test asks for a bad one.
enum Build {
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }

    static func addressBytes(_ text: String) -> [UInt8] {
        guard let address = IPAddress(text) else { fatalError("bad test address \(text)") }
        var bytes: [UInt8] = []
        address.appendBytes(to: &bytes)
        return bytes
    }

    static func ethernet(vlans: [(tpid: UInt16, id: UInt16)] = [], etherType: UInt16, payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]
        for tag in vlans {
            frame += be16(tag.tpid) + be16(0x2000 | tag.id)  // priority 1 in the PCP bits
        }
        return frame + be16(etherType) + payload
    }

    static func ipv4(
        source: String = "192.0.2.1", destination: String = "198.51.100.2", proto: UInt8,
        payload: [UInt8], identification: UInt16 = 0x1234, fragmentField: UInt16 = 0x4000,
        options: [UInt8] = [], totalLength: Int? = nil, corruptChecksum: Bool = false, ttl: UInt8 = 64
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0x00]
        header += be16(UInt16(totalLength ?? (headerLength + payload.count)))
        header += be16(identification) + be16(fragmentField)
        header += [ttl, proto, 0, 0]
        header += addressBytes(source) + addressBytes(destination) + options
        let sum = header.withUnsafeBytes { ByteReader($0).onesComplementSum(0, header.count) }
        let checksum = ~sum ^ (corruptChecksum ? 0x0101 : 0)
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xFF)
        return header + payload
    }

    static func ipv6(
        source: String = "2001:db8::1", destination: String = "2001:db8::2", nextHeader: UInt8,
        payload: [UInt8], payloadLength: Int? = nil, hopLimit: UInt8 = 64
    ) -> [UInt8] {
        var header: [UInt8] = [0x60, 0x00, 0x01, 0x23]  // flow label 0x123
        header += be16(UInt16(payloadLength ?? payload.count)) + [nextHeader, hopLimit]
        return header + addressBytes(source) + addressBytes(destination) + payload
    }

    /// Hop-by-hop / routing / destination options: `units` × 8 bytes total.
    static func extensionHeader(next: UInt8, units: Int = 1) -> [UInt8] {
        [next, UInt8(units - 1)] + [UInt8](repeating: 0, count: units * 8 - 2)
    }

    static func authenticationHeader(next: UInt8) -> [UInt8] {
        // 12 bytes of AH fixed part + 12-byte ICV = 24 bytes = (4 + 2) words.
        [next, 4, 0, 0] + be32(0x100) + be32(1) + [UInt8](repeating: 0xAA, count: 12)
    }

    static func fragmentHeader(next: UInt8, offset: Int, more: Bool, identification: UInt32) -> [UInt8] {
        [next, 0] + be16(UInt16(offset / 8) << 3 | (more ? 1 : 0)) + be32(identification)
    }

    static func tcp(
        sourcePort: UInt16 = 40000, destinationPort: UInt16 = 80, sequence: UInt32 = 1000,
        acknowledgment: UInt32 = 0, flags: TCPFlags = .syn, window: UInt16 = 65535,
        options: [UInt8] = [], dataOffsetWords: Int? = nil, payload: [UInt8] = []
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let words = dataOffsetWords ?? (5 + options.count / 4)
        var segment = be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment)
        segment += [UInt8(words << 4), flags.rawValue] + be16(window) + [0, 0] + be16(0)
        return segment + options + payload
    }

    static func udp(sourcePort: UInt16 = 53000, destinationPort: UInt16 = 53, payload: [UInt8], length: Int? = nil) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(UInt16(length ?? (8 + payload.count))) + [0, 0] + payload
    }

    static func icmp(type: UInt8, code: UInt8 = 0, identifier: UInt16 = 0, sequence: UInt16 = 0, payload: [UInt8] = []) -> [UInt8] {
        [type, code, 0, 0] + be16(identifier) + be16(sequence) + payload
    }

    static func gre(protocolType: UInt16, key: UInt32? = nil, sequence: UInt32? = nil, checksum: Bool = false,
                    version: UInt16 = 0, payload: [UInt8]) -> [UInt8] {
        var flags: UInt16 = version
        if checksum { flags |= 0x8000 }
        if key != nil { flags |= 0x2000 }
        if sequence != nil { flags |= 0x1000 }
        var header = be16(flags) + be16(protocolType)
        if checksum { header += [0xBE, 0xEF, 0, 0] }
        if let key { header += be32(key) }
        if let sequence { header += be32(sequence) }
        return header + payload
    }

    static func vxlan(vni: UInt32, flags: UInt8 = 0x08, payload: [UInt8]) -> [UInt8] {
        [flags, 0, 0, 0] + be32(vni << 8) + payload
    }

    /// A complete Ethernet / IPv4 / TCP SYN with common options.
    static func tcpSYN() -> [UInt8] {
        let options: [UInt8] = [2, 4, 0x05, 0xB4,  // MSS 1460
                                1, 3, 3, 7,  // NOP, window scale 7
                                4, 2, 8, 10] + be32(0x0102_0304) + be32(0)  // SACK-permitted, timestamps
                                + [1, 1, 1, 0]  // NOP padding, end of list
        return ethernet(etherType: 0x0800, payload: ipv4(proto: 6, payload: tcp(options: options)))
    }
}

/// Decodes `bytes` with a fresh decoder; returns the packet, outcome and counters.
func decode(_ bytes: [UInt8], linkType: LinkType = .ethernet, decoder: PacketDecoder = PacketDecoder())
    -> (packet: DecodedPacket, error: DecodeError?, counters: DecodeCounters)
{
    var decoder = decoder
    var packet = DecodedPacket()
    let error = bytes.withUnsafeBytes { decoder.decode($0, linkType: linkType, into: &packet) }
    return (packet, error, decoder.counters)
}

func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { fatalError("bad test address \(text)") }
    return address
}
