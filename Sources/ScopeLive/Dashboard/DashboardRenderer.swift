import ScopeAnalyzers

/// One screen's worth of input to the renderer.
public struct DashboardFrame: Sendable {
    public enum View: Sendable {
        /// Rates and latencies of the last interval.
        case interval
        /// Averages and latencies since the start.
        case cumulative
    }

    /// Wall-clock time to show, already formatted (HH:MM:SS).
    public var clock: String
    public var ports: [String]
    public var statistics: StatisticsSnapshot
    public var health: CaptureHealth.Figures?
    public var view: View

    public init(clock: String, ports: [String], statistics: StatisticsSnapshot, health: CaptureHealth.Figures?,
                view: View = .interval) {
        self.clock = clock
        self.ports = ports
        self.statistics = statistics
        self.health = health
        self.view = view
    }
}

/// Lays a frame out as at most `height` lines of at most `width` columns:
/// header, capture health, the protocol × endpoint table by rate, then the
/// top resources by count and the slowest by mean latency.
public struct DashboardRenderer: Sendable {
    public var width: Int
    public var height: Int
    /// Most entries each resource list shows when there is room.
    public var resourceLines = 10

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public func render(_ frame: DashboardFrame) -> [String] {
        guard width > 0, height > 0 else { return [] }
        var lines = header(frame)
        let table = DashboardTable(frame: frame, width: width)
        let tableRows = table.rows()
        let byCount = ResourceList.byCount(frame.statistics.resources)
        let slowest = ResourceList.slowest(frame.statistics.resources)
        // The table comes first; resource lists get what is left, but the
        // table yields half the screen when both would not fit.
        let room = height - lines.count - 2
        let wantedLists = (byCount.isEmpty ? 0 : 2 + min(byCount.count, resourceLines))
            + (slowest.isEmpty ? 0 : 2 + min(slowest.count, resourceLines))
        let tableRoom = max(1, min(tableRows.count, max(room / 2, room - wantedLists)))
        lines.append("")
        lines.append(table.heading())
        lines += DashboardTable.cut(tableRows, to: tableRoom)
        var left = height - lines.count
        for list in [byCount, slowest] where !list.entries.isEmpty && left >= 3 {
            let shown = min(list.entries.count, resourceLines, left - 2)
            lines.append("")
            lines += list.render(limit: shown, width: width)
            left = height - lines.count
        }
        return lines.prefix(height).map { DashboardText.fit($0, width: width) }
    }

    private func header(_ frame: DashboardFrame) -> [String] {
        let stats = frame.statistics
        let ports = frame.ports.map { DashboardText.sanitized($0, limit: 32) }.joined(separator: ",")
        let mode = frame.view == .interval ? "c: since start" : "c: last interval"
        var lines = ["dpdkscope watch  \(frame.clock)  up \(DashboardText.uptime(stats.uptimeSeconds))  ports \(ports)  [q: quit  \(mode)]"]
        if let health = frame.health {
            let d = health.delta
            // Said early on the health line (narrow terminals cut its end):
            // every rate below then covers only the flows still analysed.
            let overload = health.analysedShare < 0.9995
                ? "  [overload: analysing \(DashboardText.percent(health.analysedShare)) of packets, whole flows]" : ""
            lines.append("capture \(DashboardText.rate(health.packetsPerSecond)) pkt/s\(overload)  pdump accepted \(d.accepted) filtered \(d.filtered) nombuf \(d.nombuf) ringfull \(d.ringfull)  drop \(DashboardText.percent(health.dropRate))  (total drop \(DashboardText.percent(health.totalDropRate)))")
        } else {
            lines.append("capture -")
        }
        let figures = frame.view == .interval ? stats.totalInterval : stats.totalCumulative
        let span = frame.view == .interval
            ? "last \(DashboardText.fixed(stats.intervalSeconds, places: 1))s" : "since start"
        lines.append("transactions \(DashboardText.rate(figures.perSecond))/s  errors \(DashboardText.percent(figures.errorRate))  total \(stats.totalCumulative.count)  (\(span))")
        return lines
    }
}
