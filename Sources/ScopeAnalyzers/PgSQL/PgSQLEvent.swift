import ScopeDecode

/// One PgSQL transaction.
public struct PgSQLTransaction: Sendable, TransactionDetail {
    // SCAFFOLD: not implemented yet.
    var isMatched: Bool { false }
    var summary: String { "" }
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {}
}
