import ScopeDecode

/// ICMP and ICMPv6: echo requests paired with replies, errors tied to the
/// flow they quote. No ports.
enum ICMPProtocol {
    static let definition = ProtocolDefinition(
        name: "icmp", title: "ICMP", defaultPorts: [], transports: .icmp,
        reference: [
            "Echo request/reply pairs and ICMP errors (unreachable, time exceeded).",
            "ICMP has no ports.",
        ],
        makePacketAnalyzer: { ICMPCorrelator(context: $0) })
}

extension ApplicationProtocol {
    public static let icmp = ApplicationProtocol(registered: "icmp")
}

extension ICMPCorrelator: PacketAnalyzer {
    /// ICMP gets the whole packet: errors quote the flow they are about.
    func datagram(_ bytes: UnsafeRawBufferPointer, packet: DecodedPacket, timestamp: UInt64) {
        self.packet(packet, bytes: bytes, timestamp: timestamp)
    }
}
