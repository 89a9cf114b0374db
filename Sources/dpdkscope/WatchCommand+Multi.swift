import Logging
import ScopeAnalyzers
import ScopeCore
import ScopeDPDK
import ScopeLive

#if canImport(Glibc)
import Glibc
#endif

extension WatchCommand {
    /// `watch --multi`: queue groups on worker lcores, each with its own
    /// ring, loop and analyzers, nothing shared per packet. A worker owns
    /// its queues, hence their flows: tuples are grouped by queue index, so
    /// queue q of every port and direction lands on one worker and a request
    /// meets its response as long as the application (RSS) keeps both
    /// directions of a flow on the same queue index. Workers share only the
    /// stdout lock, taken once per batch of lines, or on a terminal the
    /// dashboard, taken once per batch of transactions (DashboardHub); the
    /// worker that holds it when a frame is due draws it, and its health
    /// line sums the pdump counters of every worker's queues.
    func runMulti(tuples: [CaptureTuple], captured: [PortInfo], configuration: AnalyzerConfiguration,
                  filter: PacketFilter?, snaplen: UInt32, stops: AutostopConditions, attachment: Attachment,
                  logger: Logger) throws {
        let workerCount = max(1, attachment.lcores.split(separator: ",").count - 1)
        let groups = WorkerAssignment.assign(tuples, workers: workerCount)
        let lock = OutputLock()
        let hub = json || lines || isatty(1) == 0 ? nil : DashboardHub()
        var analyses: [LiveAnalysis] = []
        let capture = try MultiCapture(
            attachment: attachment, groups: groups, settings: ring.settings(snaplen: snaplen), filter: filter,
            takeover: takeover, limits: .init(seconds: stops.seconds), logger: logger
        ) { _, _, _ in
            let analysis = LiveAnalysis(configuration: configuration, json: streamsJSON, dashboard: hub, outputLock: lock)
            analyses.append(analysis)
            return MultiCapture.Stage(writer: nil, observer: analysis)
        }
        defer { capture.workers.forEach { $0.session.release() } }
        if !quiet {
            let layout = capture.workers.enumerated().map { "w\($0.offset)@lcore\($0.element.lcore): \($0.element.tuples.count) tuple(s)" }
            writeStderr("Watching \(captured.map { "'\($0.name)'" }.joined(separator: ", ")) on \(layout.joined(separator: ", "))\n")
        }
        CaptureLoop.prepare(packetLimit: [count, stops.packets].compactMap { $0 }.min())
        // As for one loop: the screen is taken once every capture runs, and
        // given back on every way out (the defer, or right after the loops
        // so the summary lands on the normal screen). The loops only draw;
        // they are done before the restore.
        let screen = hub == nil ? nil : TerminalScreen()
        defer { screen?.restore() }
        if let hub, let screen {
            let sessions = capture.workers.map(\.session)
            hub.install(LiveDashboard(display: screen, ports: captured.map(\.name), now: LiveDashboard.monotonicNow()) {
                sessions.reduce(PdumpCounters()) { sum, session in session.tuples.reduce(sum) { $0 + session.counters($1) } }
            })
            hub.refresh(now: LiveDashboard.monotonicNow())
        }
        try capture.run(progress: nil)
        analyses.forEach { $0.finish() }
        screen?.restore()
        let outcome = CaptureLoop.Outcome.merged(capture.workers.compactMap(\.outcome))
        if !quiet {
            writeStderr("Transactions: \(analyses.reduce(0) { $0 + $1.transactions })\n")
            let report = CaptureReport(sessions: capture.workers.map(\.session), ports: captured)
            writeStderr(report.summary(.init(packets: capture.packetsTaken), outcome: outcome))
        }
        if stats { writeStderr(Self.summed(analyses.map(\.statsFields)).map { "\($0.0)=\($0.1)" }.joined(separator: "\n") + "\n") }
        if outcome.reason == .primaryExited { throw PrimaryExit.error(attachment.primary) }
    }

    /// Counters of every worker, added name by name (same names, same order).
    static func summed(_ fields: [[(String, UInt64)]]) -> [(String, UInt64)] {
        guard var total = fields.first else { return [] }
        for other in fields.dropFirst() {
            for (index, field) in other.enumerated() where index < total.count && total[index].0 == field.0 {
                total[index].1 &+= field.1
            }
        }
        return total
    }
}
