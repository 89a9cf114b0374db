enum PPPProtocol {
    static let ipv4: UInt16 = 0x0021
    static let ipv6: UInt16 = 0x0057
}

extension PacketDecoder {
    /// A PPP frame (RFC 1661): optional HDLC-like address and control bytes
    /// (0xFF 0x03, RFC 1662), then the protocol field, one byte when
    /// compressed (an odd first byte, RFC 1661 section 6.5), else two.
    /// Serial links logged as PPP may carry Cisco HDLC frames instead
    /// (address 0x0F or 0x8F, control 0); those are decoded as such.
    mutating func decodePPP(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 2, end: end) else { return .failed(.truncatedLinkHeader) }
        var cursor = offset
        let start = reader.u16(offset)
        if start == 0xFF03 {
            cursor &+= 2
        } else if start == 0x0F00 || start == 0x8F00 {
            guard reader.has(offset, 4, end: end) else { return .failed(.truncatedLinkHeader) }
            return decodeEtherType(reader.u16(offset &+ 2), reader, at: offset &+ 4, end: end, into: &packet)
        }
        guard reader.has(cursor, 1, end: end) else { return .failed(.truncatedLinkHeader) }
        let proto: UInt16
        if reader.u8(cursor) & 1 == 1 {
            proto = UInt16(reader.u8(cursor))
            cursor &+= 1
        } else {
            guard reader.has(cursor, 2, end: end) else { return .failed(.truncatedLinkHeader) }
            proto = reader.u16(cursor)
            cursor &+= 2
        }
        switch proto {
        case PPPProtocol.ipv4: return .ipv4(cursor, end: end)
        case PPPProtocol.ipv6: return .ipv6(cursor, end: end)
        default: return unsupportedProtocol(proto, at: cursor, end: end, into: &packet)
        }
    }

    /// PPPoE session stage (RFC 2516): version 1, type 1, code 0, session
    /// id, payload length, then one PPP frame. The length bounds the frame,
    /// so Ethernet padding stays out of it.
    mutating func decodePPPoE(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 6, end: end) else { return .failed(.truncatedLinkHeader) }
        guard reader.u8(offset) == 0x11, reader.u8(offset &+ 1) == 0 else { return .failed(.badPPPoEHeader) }
        let length = Int(reader.u16(offset &+ 4))
        let frame = offset &+ 6
        guard reader.has(frame, length, end: end) else { return .failed(.truncatedLinkHeader) }
        return .ppp(frame, end: frame &+ length)
    }
}
