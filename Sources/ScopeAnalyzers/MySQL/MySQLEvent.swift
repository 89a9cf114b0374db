import ScopeDecode

/// One MySQL transaction.
public struct MySQLTransaction: Sendable, TransactionDetail {
    // SCAFFOLD: not implemented yet.
    var isMatched: Bool { false }
    var summary: String { "" }
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {}
}
