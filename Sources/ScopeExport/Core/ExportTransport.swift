/// How one output talks to its backend: one request per batch, called on
/// the output's own thread only (it may block there, up to its timeout).
public protocol ExportTransport: AnyObject {
    func send(_ batch: [[UInt8]]) -> ExportResult
}

public enum ExportResult: Equatable, Sendable {
    /// Accepted; `rejected` records of it were refused (OTLP partial success).
    case sent(rejected: Int, message: String?)
    /// Worth trying again later: refused or reset connection, timeout, 429,
    /// 502/503/504. `retryAfter` in seconds when the server said.
    case retry(after: Double?, reason: String)
    /// Never worth repeating (400, 401, 404, 413 …): the batch is dropped.
    case rejected(reason: String)
}
