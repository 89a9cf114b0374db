/// Limits and switches shared by every analyzer. Times are nanoseconds of
/// packet time; nothing here looks at the wall clock. The limits hold their
/// bounds however they are set (the initializer and every setter clamp), so
/// no reader of options can build one around the checks.
public struct AnalyzerConfiguration: Equatable, Sendable {
    /// Which protocols run, on which ports, and whether content detection
    /// may claim connections on other ports.
    public var selection: ProtocolSelection
    /// A request without a response after this long becomes an Error event
    /// (Packetbeat's `transaction_timeout`, default 10 s).
    public var transactionTimeout: UInt64
    /// TCP connections tracked at once (the reassembler's slot count).
    public var maxConnections: Int { didSet { maxConnections = Self.connections(maxConnections) } }
    /// Requests waiting for a response on one connection; the oldest is
    /// reported unmatched (an eviction) when one more arrives.
    public var maxPendingPerConnection: Int { didSet { maxPendingPerConnection = max(1, maxPendingPerConnection) } }
    /// Datagram requests waiting for a response, over all clients: the
    /// bound of each engine-wide pairing table (DNS queries, Memcached
    /// over UDP, ICMP echoes and their answered set). The name predates
    /// the other tables; the YAML key `max_pending_dns_queries` keeps it.
    public var maxPendingDNSQueries: Int { didSet { maxPendingDNSQueries = max(1, maxPendingDNSQueries) } }
    /// HTTP start line plus headers (or trailers) of one message. Past it the
    /// message is reported as oversized and the parser resynchronises.
    public var maxHeaderBytes: Int { didSet { maxHeaderBytes = max(256, maxHeaderBytes) } }
    /// Bytes of one message an analyzer may buffer (a DNS-over-TCP message,
    /// a captured body). Bodies are counted and skipped, never buffered,
    /// unless `bodyCapture` asks for them.
    public var maxMessageSize: Int {
        didSet {
            maxMessageSize = max(512, maxMessageSize)
            maxCapturedBody = min(maxCapturedBody, maxMessageSize)
        }
    }
    /// Emit request/response headers (`http.*.headers`). Authorization,
    /// Proxy-Authorization and cookie values are redacted unless
    /// `redactSecrets` is false.
    public var includeHTTPHeaders: Bool
    public var redactSecrets: Bool
    /// Bodies whose media type starts with one of these prefixes are kept,
    /// up to `maxCapturedBody` bytes (Packetbeat's `include_body_for`).
    public var bodyCapture: [String]
    public var maxCapturedBody: Int { didSet { maxCapturedBody = max(0, min(maxCapturedBody, maxMessageSize)) } }
    /// DNS authority and additional records as entries, not only counts.
    public var includeDNSAuthorities: Bool
    public var includeDNSAdditionals: Bool

    public init(selection: ProtocolSelection = .defaults, transactionTimeout: UInt64 = 10_000_000_000,
                maxConnections: Int = 65_536, maxPendingPerConnection: Int = 1024, maxPendingDNSQueries: Int = 65_536,
                maxHeaderBytes: Int = 64 << 10, maxMessageSize: Int = 10 << 20, includeHTTPHeaders: Bool = false,
                redactSecrets: Bool = true, bodyCapture: [String] = [], maxCapturedBody: Int = 4096,
                includeDNSAuthorities: Bool = false, includeDNSAdditionals: Bool = false) {
        self.selection = selection
        self.transactionTimeout = transactionTimeout
        self.maxConnections = Self.connections(maxConnections)
        self.maxPendingPerConnection = max(1, maxPendingPerConnection)
        self.maxPendingDNSQueries = max(1, maxPendingDNSQueries)
        self.maxHeaderBytes = max(256, maxHeaderBytes)
        self.maxMessageSize = max(512, maxMessageSize)
        self.includeHTTPHeaders = includeHTTPHeaders
        self.redactSecrets = redactSecrets
        self.bodyCapture = bodyCapture
        self.maxCapturedBody = max(0, min(maxCapturedBody, self.maxMessageSize))
        self.includeDNSAuthorities = includeDNSAuthorities
        self.includeDNSAdditionals = includeDNSAdditionals
    }

    private static func connections(_ count: Int) -> Int { min(max(1, count), 1 << 24) }

    /// The one rule for a kept body's size, which every reader of options
    /// applies (each with its own error line): a kept body is a message
    /// buffered, so it may not exceed what one message may buffer.
    public static func allowsCapturedBody(_ bytes: Int, maxMessageSize: Int) -> Bool {
        bytes >= 0 && bytes <= maxMessageSize
    }
}
