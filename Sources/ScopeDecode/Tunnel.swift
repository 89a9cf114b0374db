extension PacketDecoder {
    /// GRE (RFC 2784/2890). Version 0 without routing is decapsulated when it
    /// carries Ethernet (0x6558), IPv4 or IPv6; anything else (PPTP's version
    /// 1, source routing, other payloads) is reported as a GRE packet.
    mutating func decodeGRE(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 4, end: end) else { return .failed(.truncatedGRE) }
        let flags = reader.u16(offset)
        let protocolType = reader.u16(offset &+ 2)
        let version = flags & 0x0007
        let checksumPresent = flags & 0x8000 != 0
        let routingPresent = flags & 0x4000 != 0
        let keyPresent = flags & 0x2000 != 0
        let sequencePresent = flags & 0x1000 != 0
        let acknowledgmentPresent = version == 1 && flags & 0x0080 != 0

        var length = 4
        if checksumPresent || routingPresent { length &+= 4 }
        let keyOffset = offset &+ length
        if keyPresent { length &+= 4 }
        let sequenceOffset = offset &+ length
        if sequencePresent { length &+= 4 }
        if acknowledgmentPresent { length &+= 4 }
        guard reader.has(offset, length, end: end) else { return .failed(.truncatedGRE) }

        packet.transport = .gre
        packet.payloadOffset = offset &+ length
        packet.payloadLength = end &- packet.payloadOffset
        guard decapsulateTunnels, version == 0, !routingPresent else { return .done }

        let inner: Layer
        switch protocolType {
        case EtherType.transparentEthernetBridging: inner = .ethernet(packet.payloadOffset, end: end)
        case EtherType.ipv4: inner = .ipv4(packet.payloadOffset, end: end)
        case EtherType.ipv6: inner = .ipv6(packet.payloadOffset, end: end)
        default: return .done
        }
        guard packet.tunnelDepth < PacketDecoder.maximumTunnelDepth else { return .failed(.tunnelTooDeep) }

        var tunnel = TunnelLayer()
        tunnel.kind = .gre
        tunnel.headerOffset = offset
        tunnel.protocolType = protocolType
        tunnel.greChecksumPresent = checksumPresent
        if keyPresent { tunnel.greKey = reader.u32(keyOffset) }
        if sequencePresent { tunnel.greSequence = reader.u32(sequenceOffset) }
        enterTunnel(tunnel, packet: &packet)
        return inner
    }

    /// VXLAN (RFC 7348) over the configured UDP port: 8-byte header with the
    /// I flag set, then an inner Ethernet frame. The UDP layer stays decoded
    /// when the header is short or the flag is missing.
    mutating func decodeVXLAN(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 8, end: end) else { return .failed(.truncatedVXLAN) }
        guard reader.u8(offset) & 0x08 != 0 else { return .failed(.badVXLANFlags) }
        guard packet.tunnelDepth < PacketDecoder.maximumTunnelDepth else { return .failed(.tunnelTooDeep) }
        var tunnel = TunnelLayer()
        tunnel.kind = .vxlan
        tunnel.headerOffset = offset
        tunnel.protocolType = EtherType.transparentEthernetBridging
        tunnel.vni = reader.u32(offset &+ 4) >> 8
        enterTunnel(tunnel, packet: &packet)
        return .ethernet(offset &+ 8, end: end)
    }

    /// Records the outer addresses with the tunnel and clears the layers the
    /// inner packet will fill.
    private mutating func enterTunnel(_ layer: TunnelLayer, packet: inout DecodedPacket) {
        var tunnel = layer
        tunnel.outerSource = packet.source
        tunnel.outerDestination = packet.destination
        tunnel.outerNetworkOffset = packet.networkOffset
        if packet.tunnelDepth == 0 {
            packet.tunnels.0 = tunnel
        } else {
            packet.tunnels.1 = tunnel
        }
        packet.tunnelDepth &+= 1
        counters.tunnelsDecapsulated &+= 1
        packet.resetInnerLayers()
    }
}
