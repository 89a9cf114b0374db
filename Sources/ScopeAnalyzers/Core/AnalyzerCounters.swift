/// What one protocol's analyzer saw, cumulative. Every message either ends
/// up in a transaction event or in one of the "unmatched"/"dropped" counts,
/// so losses are visible rather than silent (Packetbeat's "response from
/// unknown transaction" noise becomes numbers here).
public struct AnalyzerCounters: Equatable, Sendable {
    public var requests: UInt64 = 0
    public var responses: UInt64 = 0
    /// Events emitted: matched pairs plus unmatched requests and responses.
    public var transactions: UInt64 = 0
    public var matched: UInt64 = 0
    /// Requests reported without a response (timeout, stream end, eviction,
    /// response lost in a gap, duplicate id).
    public var unmatchedRequests: UInt64 = 0
    public var unmatchedResponses: UInt64 = 0
    /// Of `unmatchedRequests`: no response within the transaction timeout.
    public var timeouts: UInt64 = 0
    /// Of `unmatchedRequests`: pushed out by the pending-request cap.
    public var evictions: UInt64 = 0
    /// Of `matched`: the response came after the transaction timeout (HTTP
    /// keeps a request open while its connection is).
    public var lateResponses: UInt64 = 0
    /// Interim responses (HTTP 1xx except 101) dropped before pairing.
    public var interimResponses: UInt64 = 0
    /// Of `unmatchedResponses`: ICMP echo replies to a request already
    /// answered (a host or path that duplicates, ping's "DUP!").
    public var duplicateReplies: UInt64 = 0
    /// MySQL connections switched to TLS by an SSLRequest: from there on
    /// their bytes are counted as skipped, never parsed.
    public var tlsSwitches: UInt64 = 0
    /// Stream gaps seen by this protocol and the bytes they covered.
    public var gaps: UInt64 = 0
    public var gapBytes: UInt64 = 0
    /// Gaps the parser absorbed exactly (inside a body of known length).
    public var gapsAbsorbed: UInt64 = 0
    /// Bytes skipped while resynchronising on the next message boundary,
    /// and the bytes of a connection after it left the protocol (MySQL's
    /// TLS switch; an HTTP upgrade, CONNECT tunnel or HTTP/2 preface).
    public var skippedBytes: UInt64 = 0
    /// Bytes after the end of a message that were no part of it (DNS
    /// padding after the last record); the message itself was reported.
    public var trailingBytes: UInt64 = 0
    /// Messages that could not be parsed, or (DNS) only in part: those are
    /// still reported, with what parsed and a note.
    public var parseErrors: UInt64 = 0
    /// Messages over a size limit (headers past `maxHeaderBytes`, ...).
    public var oversized: UInt64 = 0
    /// Connections (TCP) or datagrams (UDP) handed to this protocol, and by
    /// which rule.
    public var detectedByPort: UInt64 = 0
    public var detectedByContent: UInt64 = 0
    /// Connections taken over from another protocol's session mid-stream
    /// (`StreamHandOver`: HTTP/1 upgraded to h2c, or the HTTP/2 preface).
    public var handedOver: UInt64 = 0
    /// Transactions not reported because only a protocol this one carries
    /// was selected (`--proto grpc`: the HTTP/2 streams that are no gRPC
    /// calls). Listed in `fields` only when not zero. The other counters
    /// (requests, matched, ...) count what the analyzer saw, reported or
    /// not: `transactions + unselected` is what it produced.
    public var unselected: UInt64 = 0
    /// Flow-control violations (HTTP/2: DATA beyond the sender's window, a
    /// window past 2^31-1, a WINDOW_UPDATE of 0). Listed in `fields` only
    /// when not zero.
    public var flowControlErrors: UInt64 = 0

    public init() {}

    /// Name/value pairs in a fixed order, for `--stats`.
    public var fields: [(String, UInt64)] {
        [("requests", requests), ("responses", responses), ("transactions", transactions), ("matched", matched),
         ("unmatched_requests", unmatchedRequests), ("unmatched_responses", unmatchedResponses),
         ("timeouts", timeouts), ("evictions", evictions), ("late_responses", lateResponses), ("interim_responses", interimResponses),
         ("duplicate_replies", duplicateReplies), ("tls_switches", tlsSwitches),
         ("gaps", gaps), ("gap_bytes", gapBytes), ("gaps_absorbed", gapsAbsorbed), ("skipped_bytes", skippedBytes),
         ("trailing_bytes", trailingBytes), ("parse_errors", parseErrors), ("oversized", oversized), ("detected_by_port", detectedByPort),
         ("detected_by_content", detectedByContent), ("handed_over", handedOver)]
            + (unselected > 0 ? [("unselected", unselected)] : [])
            + (flowControlErrors > 0 ? [("flow_control_errors", flowControlErrors)] : [])
    }
}
