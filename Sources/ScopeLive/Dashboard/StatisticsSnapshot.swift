import ScopeAnalyzers

/// Counts and latencies of one group of transactions over some span.
public struct Tally: Sendable {
    public private(set) var count: UInt64 = 0
    public private(set) var errors: UInt64 = 0
    public private(set) var bytes: UInt64 = 0
    public private(set) var latency = LatencyHistogram()

    public init() {}

    mutating func add(_ sample: TransactionSample) {
        count &+= 1
        if sample.isError { errors &+= 1 }
        bytes &+= sample.bytes
        latency.record(sample.latency)
    }

    mutating func merge(_ other: Tally) {
        count &+= other.count
        errors &+= other.errors
        bytes &+= other.bytes
        latency.merge(other.latency)
    }

    mutating func reset() {
        count = 0
        errors = 0
        bytes = 0
        latency.reset()
    }

    /// What a table row shows, over `seconds`.
    func figures(seconds: Double) -> StatisticsSnapshot.Figures {
        let q = latency.quantiles([0.5, 0.9, 0.99])
        return .init(count: count, errors: errors, bytes: bytes,
                     perSecond: seconds > 0 ? Double(count) / seconds : 0,
                     errorRate: count == 0 ? 0 : Double(errors) / Double(count),
                     p50: q[0], p90: q[1], p99: q[2], mean: latency.mean, maximum: count == 0 ? nil : latency.maximum)
    }
}

/// Everything the dashboard shows of the statistics at one moment.
public struct StatisticsSnapshot: Sendable {
    public enum Server: Hashable, Sendable {
        case endpoint(ServerEndpoint)
        /// Endpoints beyond the row cap, folded together.
        case other
        /// Every row of the protocol.
        case all
    }

    public struct Figures: Sendable {
        public var count: UInt64
        public var errors: UInt64
        public var bytes: UInt64
        public var perSecond: Double
        /// 0...1.
        public var errorRate: Double
        public var p50: UInt64?
        public var p90: UInt64?
        public var p99: UInt64?
        public var mean: UInt64?
        public var maximum: UInt64?
    }

    public struct Row: Sendable {
        public var application: ApplicationProtocol
        public var server: Server
        /// The last interval.
        public var interval: Figures
        /// Since the start.
        public var cumulative: Figures
    }

    /// Length of the interval just closed, and time since the start.
    public var intervalSeconds: Double
    public var uptimeSeconds: Double
    /// One per endpoint row (and "other" row) that exists.
    public var rows: [Row]
    /// One per protocol seen, totalled over its rows.
    public var protocols: [Row]
    /// Every protocol together: the last interval, and since the start.
    public var totalInterval: Figures
    public var totalCumulative: Figures
    public var resources: [ApplicationProtocol: ResourceRanking]

    public func row(_ application: ApplicationProtocol, _ server: Server) -> Row? {
        (server == .all ? protocols : rows).first { $0.application == application && $0.server == server }
    }
}
