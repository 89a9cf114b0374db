import ScopeDecode

/// One ICMP transaction: an echo pair, or an error message.
public struct ICMPTransaction: Sendable, TransactionDetail {
    // SCAFFOLD: not implemented yet.
    var isMatched: Bool { false }
    var summary: String { "" }
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {}
}
