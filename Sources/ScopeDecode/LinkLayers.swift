/// BSD address families for IP, as loopback (NULL/LOOP) headers carry them.
/// AF_INET is 2 everywhere; AF_INET6 differs by the writer's OS.
enum AddressFamily {
    static let inet: UInt32 = 2
    /// Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30.
    static func isInet6(_ family: UInt32) -> Bool {
        family == 10 || family == 24 || family == 28 || family == 30
    }
}

extension PacketDecoder {
    /// The first layer of a non-Ethernet buffer: the link header is read
    /// here and the layer after it returned. Ethernet never comes here (the
    /// caller starts it directly, keeping its path as short as before).
    mutating func decodeLink(
        _ linkType: LinkType, _ reader: ByteReader, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        switch linkType {
        case .ethernet:
            return .ethernet(0, end: end)
        case .rawIP:
            return .ip(0, end: end)
        case .ipv4:
            return .ipv4(0, end: end)
        case .ipv6:
            return .ipv6(0, end: end)
        case .linuxSLL:
            // Packet type, ARPHRD type, address length, 8 address bytes, protocol.
            guard reader.has(0, 16, end: end) else { return .failed(.truncatedLinkHeader) }
            return decodeEtherType(reader.u16(14), reader, at: 16, end: end, into: &packet)
        case .linuxSLL2:
            // Protocol, reserved, interface index, ARPHRD type, packet type,
            // address length, 8 address bytes.
            guard reader.has(0, 20, end: end) else { return .failed(.truncatedLinkHeader) }
            return decodeEtherType(reader.u16(0), reader, at: 20, end: end, into: &packet)
        case .null, .loop:
            return decodeLoopback(reader, networkOrder: linkType == .loop, end: end, into: &packet)
        case .ppp:
            return .ppp(0, end: end)
        case .pppoe:
            return .pppoe(0, end: end)
        case .ciscoHDLC:
            // Address (0x0F unicast, 0x8F broadcast), control, EtherType.
            guard reader.has(0, 4, end: end) else { return .failed(.truncatedLinkHeader) }
            return decodeEtherType(reader.u16(2), reader, at: 4, end: end, into: &packet)
        }
    }

    /// NULL and LOOP: a 32-bit address family. LOOP writes it in network
    /// order; NULL in the byte order of the host that captured, which the
    /// file does not record. Families are small numbers, so whichever
    /// reading leaves the high half zero is the right one.
    private func decodeLoopback(
        _ reader: ByteReader, networkOrder: Bool, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(0, 4, end: end) else { return .failed(.truncatedLinkHeader) }
        let raw = reader.u32(0)
        let family = networkOrder || raw & 0xFFFF_0000 == 0 ? raw : raw.byteSwapped
        if family == AddressFamily.inet { return .ipv4(4, end: end) }
        if AddressFamily.isInet6(family) { return .ipv6(4, end: end) }
        return unsupportedProtocol(UInt16(truncatingIfNeeded: family), at: 4, end: end, into: &packet)
    }
}
