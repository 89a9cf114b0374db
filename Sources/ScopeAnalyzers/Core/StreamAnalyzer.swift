import ScopeDecode

/// One protocol's analysis of one TCP connection, once the connection has
/// been attributed to it. Byte streams arrive per side, in order, with gaps
/// reported (`TCPStreamReassembler` semantics); the session parses, pairs
/// and puts events into its `AnalyzerContext`.
protocol StreamAnalyzer: AnyObject {
    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64)
    /// `length` bytes of that side are lost; parsing resumes after them.
    func gap(length: Int, fromClient: Bool, timestamp: UInt64)
    /// The connection ended: flush close-delimited messages, report what
    /// is still unanswered.
    func close(reason: StreamCloseReason, timestamp: UInt64)
    /// Packet time moved on: report requests past the transaction timeout.
    func expire(now: UInt64)
    /// The connection comes from another protocol's session, which passed
    /// on `seed` (`StreamHandOver`); called before the first delivery.
    func adopt(_ seed: Any)
}

extension StreamAnalyzer {
    func adopt(_ seed: Any) {}
}

extension StreamCloseReason {
    /// Wording for notes on events the close produced.
    var phrase: String {
        switch self {
        case .fin: "connection closed"
        case .reset: "connection reset"
        case .idleTimeout: "connection idle timeout"
        case .evicted: "connection evicted"
        case .reopened: "connection reopened"
        case .flushed: "end of capture"
        }
    }
}
