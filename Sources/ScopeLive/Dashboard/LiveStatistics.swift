import ScopeAnalyzers

/// The dashboard's numbers: per protocol and server endpoint, counts,
/// errors, bytes and latency histograms for the current interval and since
/// the start, plus the top resources of each protocol.
///
/// Memory is bounded whatever the traffic: at most `endpointsPerProtocol`
/// endpoint rows per protocol (later endpoints are counted in one "other"
/// row), and `resourcesPerProtocol` ranked resources of at most
/// `resourceLength` bytes each. When a protocol's rows are full, rows idle
/// for `idleIntervals` intervals are folded into "other" to make room.
public struct LiveStatistics: Sendable {
    public struct Limits: Sendable {
        public var endpointsPerProtocol: Int
        public var resourcesPerProtocol: Int
        public var resourceLength: Int
        public var idleIntervals: Int

        public init(endpointsPerProtocol: Int = 32, resourcesPerProtocol: Int = 64, resourceLength: Int = 256,
                    idleIntervals: Int = 30) {
            self.endpointsPerProtocol = max(0, endpointsPerProtocol)
            self.resourcesPerProtocol = max(1, resourcesPerProtocol)
            self.resourceLength = max(1, resourceLength)
            self.idleIntervals = max(1, idleIntervals)
        }
    }

    /// `server` nil: the protocol's "other" row.
    struct RowKey: Hashable {
        var application: ApplicationProtocol
        var server: ServerEndpoint?
    }

    struct Row {
        var key: RowKey
        var interval = Tally()
        var cumulative = Tally()
        var idleIntervals = 0
    }

    public let limits: Limits
    private var rows: [Row] = []
    private var rowIndex: [RowKey: Int] = [:]
    private var endpointRows: [ApplicationProtocol: Int] = [:]
    private var rankings: [ApplicationProtocol: ResourceRanking] = [:]
    private let started: UInt64
    private var intervalStart: UInt64

    /// - Parameter now: monotonic nanoseconds; the same clock as closeInterval's.
    public init(limits: Limits = Limits(), now: UInt64) {
        self.limits = limits
        started = now
        intervalStart = now
    }

    /// Rows held (endpoint and "other" rows): bounded by the limits.
    public var rowCount: Int { rows.count }
    /// Ranked resources held over every protocol: bounded by the limits.
    public var resourceCount: Int { rankings.values.reduce(0) { $0 + $1.entries.count } }

    public mutating func record(_ event: TransactionEvent) {
        record(TransactionSample(event))
    }

    public mutating func record(_ sample: TransactionSample) {
        let index = row(for: sample)
        rows[index].interval.add(sample)
        rows[index].cumulative.add(sample)
        let limits = limits
        rankings[sample.application, default: ResourceRanking(capacity: limits.resourcesPerProtocol,
                                                              maximumLength: limits.resourceLength)]
            .record(sample.resource, latency: sample.latency, isError: sample.isError)
    }

    /// Ends the current interval at `now` (monotonic ns): returns what it
    /// and the whole run hold, then starts the next interval.
    public mutating func closeInterval(now: UInt64) -> StatisticsSnapshot {
        let seconds = Double(now >= intervalStart ? now - intervalStart : 0) / 1e9
        let uptime = Double(now >= started ? now - started : 0) / 1e9
        var snapshot = snapshot(intervalSeconds: seconds, uptimeSeconds: uptime)
        snapshot.resources = rankings
        for index in rows.indices {
            rows[index].idleIntervals = rows[index].interval.count == 0 ? rows[index].idleIntervals + 1 : 0
            rows[index].interval.reset()
        }
        foldIdleRows()
        intervalStart = now
        return snapshot
    }

    private func snapshot(intervalSeconds: Double, uptimeSeconds: Double) -> StatisticsSnapshot {
        var perProtocol: [ApplicationProtocol: (interval: Tally, cumulative: Tally)] = [:]
        var total = (interval: Tally(), cumulative: Tally())
        let views = rows.map { row -> StatisticsSnapshot.Row in
            perProtocol[row.key.application, default: (Tally(), Tally())].interval.merge(row.interval)
            perProtocol[row.key.application, default: (Tally(), Tally())].cumulative.merge(row.cumulative)
            total.interval.merge(row.interval)
            total.cumulative.merge(row.cumulative)
            return .init(application: row.key.application, server: row.key.server.map { .endpoint($0) } ?? .other,
                         interval: row.interval.figures(seconds: intervalSeconds),
                         cumulative: row.cumulative.figures(seconds: uptimeSeconds))
        }
        let protocols = ApplicationProtocol.allCases.compactMap { application -> StatisticsSnapshot.Row? in
            guard let tallies = perProtocol[application] else { return nil }
            return .init(application: application, server: .all,
                         interval: tallies.interval.figures(seconds: intervalSeconds),
                         cumulative: tallies.cumulative.figures(seconds: uptimeSeconds))
        }
        return StatisticsSnapshot(intervalSeconds: intervalSeconds, uptimeSeconds: uptimeSeconds, rows: views,
                                  protocols: protocols,
                                  totalInterval: total.interval.figures(seconds: intervalSeconds),
                                  totalCumulative: total.cumulative.figures(seconds: uptimeSeconds), resources: [:])
    }

    /// The row a sample counts in, created if there is room.
    private mutating func row(for sample: TransactionSample) -> Int {
        let key = RowKey(application: sample.application, server: sample.server)
        if let index = rowIndex[key] { return index }
        let used = endpointRows[sample.application, default: 0]
        if used < limits.endpointsPerProtocol {
            endpointRows[sample.application] = used + 1
            return append(key)
        }
        let other = RowKey(application: sample.application, server: nil)
        return rowIndex[other] ?? append(other)
    }

    private mutating func append(_ key: RowKey) -> Int {
        rows.append(Row(key: key))
        rowIndex[key] = rows.count - 1
        return rows.count - 1
    }

    /// Protocols whose endpoint rows are full give their long-idle rows'
    /// totals to "other", so new endpoints get rows again.
    private mutating func foldIdleRows() {
        let stale = rows.indices.filter { index in
            let row = rows[index]
            return row.key.server != nil && row.idleIntervals >= limits.idleIntervals
                && endpointRows[row.key.application, default: 0] >= limits.endpointsPerProtocol
        }
        guard !stale.isEmpty else { return }
        for index in stale {
            let application = rows[index].key.application
            let other = RowKey(application: application, server: nil)
            let target = rowIndex[other] ?? append(other)
            rows[target].cumulative.merge(rows[index].cumulative)
            endpointRows[application, default: 1] -= 1
        }
        let removed = Set(stale)
        rows = rows.indices.filter { !removed.contains($0) }.map { rows[$0] }
        rowIndex = Dictionary(uniqueKeysWithValues: rows.indices.map { (rows[$0].key, $0) })
    }
}
