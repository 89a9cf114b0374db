import ScopeDecode

/// Memcached over UDP: pairs requests and responses across datagrams by
/// the frame header's request id (engine-wide, like DNS).
final class MemcacheDatagramCorrelator {
    // SCAFFOLD: not implemented yet.
    unowned let context: AnalyzerContext

    init(context: AnalyzerContext) {
        self.context = context
    }

    func datagram(_ payload: UnsafeRawBufferPointer, packet: DecodedPacket, timestamp: UInt64) {}
    func expire(now: UInt64) {}
    func drain(now: UInt64) {}
}
