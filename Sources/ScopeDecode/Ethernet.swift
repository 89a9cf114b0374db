enum EtherType {
    static let ipv4: UInt16 = 0x0800
    static let ipv6: UInt16 = 0x86DD
    static let vlan: UInt16 = 0x8100
    static let qinq: UInt16 = 0x88A8
    /// Pre-standard QinQ outer tag still emitted by some switches.
    static let qinqLegacy: UInt16 = 0x9100
    static let transparentEthernetBridging: UInt16 = 0x6558
}

extension PacketDecoder {
    /// Ethernet II plus any number of 802.1Q / 802.1ad tags. The first two
    /// VLAN ids of the outermost frame are kept; further tags are skipped
    /// (each costs 4 bytes, so the loop is bounded by the buffer).
    mutating func decodeEthernet(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 14, end: end) else { return .failed(.truncatedEthernet) }
        packet.ethernetOffset = offset
        packet.destinationMAC = reader.mac(offset)
        packet.sourceMAC = reader.mac(offset &+ 6)
        var etherType = reader.u16(offset &+ 12)
        var cursor = offset &+ 14
        let outermost = packet.tunnelDepth == 0
        var tags = 0
        while etherType == EtherType.vlan || etherType == EtherType.qinq || etherType == EtherType.qinqLegacy {
            guard reader.has(cursor, 4, end: end) else { return .failed(.truncatedVLAN) }
            let vlanID = reader.u16(cursor) & 0x0FFF
            if outermost {
                if tags == 0 {
                    packet.vlanIDs.outer = vlanID
                } else if tags == 1 {
                    packet.vlanIDs.inner = vlanID
                }
            }
            tags &+= 1
            etherType = reader.u16(cursor &+ 2)
            cursor &+= 4
        }
        if outermost {
            packet.vlanCount = tags
            if tags > 0 { counters.vlanTagged &+= 1 }
        }
        packet.etherType = etherType
        switch etherType {
        case EtherType.ipv4:
            return .ipv4(cursor, end: end)
        case EtherType.ipv6:
            return .ipv6(cursor, end: end)
        default:
            packet.network = .other
            packet.payloadOffset = cursor
            packet.payloadLength = end &- cursor
            return .failed(.unsupportedEtherType)
        }
    }
}
