import ScopeDecode

/// Memcache on one TCP connection.
final class MemcacheSession: StreamAnalyzer {
    // SCAFFOLD: not implemented yet.
    let endpoints: TransactionEndpoints
    let context: AnalyzerContext

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {}
    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {}
    func close(reason: StreamCloseReason, timestamp: UInt64) {}
    func expire(now: UInt64) {}
}
