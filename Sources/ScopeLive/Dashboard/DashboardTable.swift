import ScopeAnalyzers

/// The protocol × server table: protocols by rate, and under each its
/// endpoints by rate ("all" first when there are several, "other" last).
struct DashboardTable {
    let frame: DashboardFrame
    let serverWidth: Int

    init(frame: DashboardFrame, width: Int) {
        self.frame = frame
        // Everything but the server column takes 63 columns.
        serverWidth = max(15, min(47, width - 63))
    }

    func heading() -> String {
        let rate = frame.view == .interval ? "TX/S" : "AVG TX/S"
        return line("PROTO", "SERVER", rate, "ERR%", "P50", "P90", "P99", "COUNT")
    }

    func rows() -> [String] {
        let stats = frame.statistics
        var lines: [String] = []
        for total in stats.protocols.sorted(by: busier) {
            let members = stats.rows.filter { $0.application == total.application }.sorted(by: busier)
            if members.count > 1 { lines.append(render(total)) }
            lines += members.map(render)
        }
        return lines
    }

    /// At most `limit` lines; a cut table says how much it left out.
    static func cut(_ rows: [String], to limit: Int) -> [String] {
        guard rows.count > limit else { return rows }
        guard limit > 1 else { return ["... \(rows.count) rows"] }
        return rows.prefix(limit - 1) + ["... \(rows.count - limit + 1) more rows"]
    }

    private func figures(_ row: StatisticsSnapshot.Row) -> StatisticsSnapshot.Figures {
        frame.view == .interval ? row.interval : row.cumulative
    }

    /// Higher rate first, then more transactions, "other" after endpoints.
    private func busier(_ a: StatisticsSnapshot.Row, _ b: StatisticsSnapshot.Row) -> Bool {
        if (a.server == .other) != (b.server == .other) { return b.server == .other }
        let (fa, fb) = (figures(a), figures(b))
        if fa.perSecond != fb.perSecond { return fa.perSecond > fb.perSecond }
        if a.cumulative.count != b.cumulative.count { return a.cumulative.count > b.cumulative.count }
        return a.application.rawValue + name(a.server) < b.application.rawValue + name(b.server)
    }

    private func render(_ row: StatisticsSnapshot.Row) -> String {
        let f = figures(row)
        let errors = f.count == 0 ? "-" : DashboardText.percent(f.errorRate)
        return line(row.application.rawValue, name(row.server), DashboardText.rate(f.perSecond), errors,
                    DashboardText.duration(f.p50), DashboardText.duration(f.p90), DashboardText.duration(f.p99),
                    "\(row.cumulative.count)")
    }

    private func name(_ server: StatisticsSnapshot.Server) -> String {
        switch server {
        case .endpoint(let endpoint): endpoint.description
        case .other: "(other)"
        case .all: "(all)"
        }
    }

    private func line(_ proto: String, _ server: String, _ rate: String, _ errors: String,
                      _ p50: String, _ p90: String, _ p99: String, _ count: String) -> String {
        DashboardText.left(proto, 8) + " " + DashboardText.left(server, serverWidth) + " "
            + DashboardText.right(rate, 8) + " " + DashboardText.right(errors, 6) + " "
            + DashboardText.right(p50, 8) + " " + DashboardText.right(p90, 8) + " " + DashboardText.right(p99, 8)
            + " " + DashboardText.right(count, 10)
    }
}

/// Top resources over every protocol, as a heading and one line each.
struct ResourceList {
    let title: String
    let entries: [(application: ApplicationProtocol, entry: ResourceRanking.Entry)]

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    static func byCount(_ rankings: [ApplicationProtocol: ResourceRanking]) -> ResourceList {
        ResourceList(title: "TOP RESOURCES BY COUNT (since start)", entries: all(rankings).sorted {
            $0.entry.count != $1.entry.count ? $0.entry.count > $1.entry.count : $0.entry.resource < $1.entry.resource
        })
    }

    static func slowest(_ rankings: [ApplicationProtocol: ResourceRanking]) -> ResourceList {
        ResourceList(title: "SLOWEST RESOURCES BY MEAN (since start)", entries: all(rankings).filter { $0.entry.observed > 0 }.sorted {
            $0.entry.meanLatency != $1.entry.meanLatency
                ? $0.entry.meanLatency > $1.entry.meanLatency : $0.entry.resource < $1.entry.resource
        })
    }

    private static func all(_ rankings: [ApplicationProtocol: ResourceRanking])
        -> [(application: ApplicationProtocol, entry: ResourceRanking.Entry)] {
        ApplicationProtocol.allCases.flatMap { application in
            (rankings[application]?.entries ?? []).map { (application, $0) }
        }
    }

    /// Heading plus `limit` entries; the resource, last, gets what is left of the width.
    func render(limit: Int, width: Int) -> [String] {
        let prefix = 8 + 1 + 10 + 1 + 6 + 1 + 8 + 1 + 8 + 2
        let room = max(8, width - prefix)
        var lines = [columns("PROTO", "COUNT", "ERR%", "MEAN", "MAX") + title]
        for (application, entry) in entries.prefix(max(0, limit)) {
            let count = entry.overestimate > 0 ? "~\(entry.count)" : "\(entry.count)"
            let errors = DashboardText.percent(entry.observed == 0 ? 0 : Double(entry.errors) / Double(entry.observed))
            lines.append(columns(application.rawValue, count, errors, DashboardText.duration(entry.meanLatency),
                                 DashboardText.duration(entry.maximumLatency))
                         + DashboardText.sanitized(entry.resource, limit: room))
        }
        return lines
    }

    private func columns(_ proto: String, _ count: String, _ errors: String, _ mean: String, _ maximum: String) -> String {
        DashboardText.left(proto, 8) + " " + DashboardText.right(count, 10) + " " + DashboardText.right(errors, 6) + " "
            + DashboardText.right(mean, 8) + " " + DashboardText.right(maximum, 8) + "  "
    }
}
