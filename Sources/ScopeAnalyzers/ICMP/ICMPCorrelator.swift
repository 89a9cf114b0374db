import ScopeDecode

/// ICMP and ICMPv6: echo request/reply pairing, errors tied to the flow
/// they quote (engine-wide, like DNS).
final class ICMPCorrelator {
    // SCAFFOLD: not implemented yet.
    unowned let context: AnalyzerContext

    init(context: AnalyzerContext) {
        self.context = context
    }

    func packet(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64) {}
    func expire(now: UInt64) {}
    func drain(now: UInt64) {}
}
