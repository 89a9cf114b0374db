import ScopeDecode

/// One Redis transaction.
public struct RedisTransaction: Sendable, TransactionDetail {
    // SCAFFOLD: not implemented yet.
    var isMatched: Bool { false }
    var summary: String { "" }
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {}
}
