enum EtherType {
    static let ipv4: UInt16 = 0x0800
    static let ipv6: UInt16 = 0x86DD
    static let vlan: UInt16 = 0x8100
    static let qinq: UInt16 = 0x88A8
    /// Pre-standard QinQ outer tag still emitted by some switches.
    static let qinqLegacy: UInt16 = 0x9100
    static let transparentEthernetBridging: UInt16 = 0x6558
    /// PPPoE session stage (RFC 2516); discovery (0x8863) carries no IP.
    static let pppoeSession: UInt16 = 0x8864
}

extension PacketDecoder {
    /// Ethernet II, then whatever its EtherType announces.
    mutating func decodeEthernet(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 14, end: end) else { return .failed(.truncatedEthernet) }
        packet.ethernetOffset = offset
        packet.destinationMAC = reader.mac(offset)
        packet.sourceMAC = reader.mac(offset &+ 6)
        return decodeEtherType(reader.u16(offset &+ 12), reader, at: offset &+ 14, end: end, into: &packet)
    }

    /// What follows an EtherType, wherever it came from (Ethernet, Linux
    /// cooked, Cisco HDLC): any number of 802.1Q / 802.1ad tags, then IP or
    /// a PPPoE session. The first two VLAN ids of the outermost frame are
    /// kept; further tags are skipped (each costs 4 bytes, so the loop is
    /// bounded by the buffer). Inlined: it is the Ethernet hot path.
    @inline(__always)
    mutating func decodeEtherType(
        _ type: UInt16, _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        var etherType = type
        var cursor = offset
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
        case EtherType.pppoeSession:
            return .pppoe(cursor, end: end)
        default:
            return unsupportedProtocol(etherType, at: cursor, end: end, into: &packet)
        }
    }

    /// A link-layer protocol the decoder does not open (ARP, LLDP, PPP LCP,
    /// an unknown address family): counted as "other", not as malformed.
    func unsupportedProtocol(_ value: UInt16, at cursor: Int, end: Int, into packet: inout DecodedPacket) -> Layer {
        packet.etherType = value
        packet.network = .other
        packet.payloadOffset = cursor
        packet.payloadLength = end &- cursor
        return .failed(.unsupportedEtherType)
    }
}
