/// Memcached, text and binary, over TCP (paired in order) and UDP (paired
/// by request id).
enum MemcacheProtocol {
    static let definition = ProtocolDefinition(
        name: "memcache", title: "Memcached", defaultPorts: [11211], transports: [.tcp, .udp],
        detectStream: { MemcacheDetection.matchStream($0) }, streamSample: Array("get k\r\n".utf8),
        // The UDP frame header (request 1, sequence 0 of 1) before the same request.
        detectDatagram: { MemcacheDetection.matchDatagram($0) }, datagramSample: [0, 1, 0, 0, 0, 1, 0, 0] + Array("get k\r\n".utf8),
        makeStreamAnalyzer: { MemcacheSession(endpoints: $0, context: $1) },
        makePacketAnalyzer: { MemcacheDatagramCorrelator(context: $0) })
}

extension ApplicationProtocol {
    public static let memcache = ApplicationProtocol(registered: "memcache")
}

extension MemcacheDatagramCorrelator: PacketAnalyzer {}

extension AnalyzerContext {
    /// The engine's Memcached UDP correlator.
    var memcacheUDP: MemcacheDatagramCorrelator {
        unsafeDowncast(packetAnalyzer(.memcache), to: MemcacheDatagramCorrelator.self)
    }
}
