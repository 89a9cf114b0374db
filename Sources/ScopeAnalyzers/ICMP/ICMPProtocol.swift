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
    func packet(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer,
                timestamp: UInt64) {
        self.packet(packet, bytes: bytes, timestamp: timestamp)
    }
}
