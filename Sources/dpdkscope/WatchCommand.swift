import ArgumentParser
import Foundation
import ScopeAnalyzers
import ScopeCore
import ScopeDPDK
import ScopeLive

/// `dpdkscope watch`: the analyzers on a live capture. On a terminal, a
/// top-style dashboard redrawn every second; otherwise JSON lines (or, with
/// --lines, human lines) stream to stdout as transactions complete. Nothing is
/// written to disk. Same pass as capture: parse → attach → enable → loop →
/// clean up, with the analyzers inline in the loop.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Analyze the primary's traffic live: \(ProtocolSelection.knownTitles) transactions.",
        discussion: """
        On a terminal: a dashboard of rates, errors and latency percentiles per protocol and server, the capture's \
        health and the top resources, redrawn every second (q quits, c switches between the last second and \
        since start). With --json, or when stdout is not a terminal: one Packetbeat/ECS JSON transaction per line \
        (for pipes into jq or a log shipper); --lines gives one human line each instead. Status and the closing \
        summary go to stderr.
        """)

    @OptionGroup var attach: AttachArguments
    @Option(name: .customShort("i"), help: "PORT[:QUEUE|:*], port id or device name; repeatable. Default: every port.")
    var interfaces: [String] = []
    // Received packets only by default: an application that forwards sends
    // on one port what it received on another, and seeing both copies would
    // report every UDP request twice.
    @Flag(help: "Transmitted packets only.") var tx = false
    @Flag(help: "Both directions (for applications that terminate traffic rather than forward it).") var both = false
    @Option(name: .customShort("f"), help: "libpcap capture filter, run by the primary.") var filter: String?
    @Option(name: .customShort("c"), help: "Stop after N packets.") var count: UInt64?
    @Option(name: .customShort("a"), help: "Autostop: duration:S or packets:N; repeatable.") var autostop: [String] = []
    @OptionGroup(title: "Transactions") var analyzer: AnalyzerOptions
    @Flag(help: "JSON lines (Packetbeat/ECS fields), also on a terminal (the default when stdout is not one).") var json = false
    @Flag(help: "One human line per transaction even on a terminal (no dashboard).") var lines = false
    @Flag(help: "Print analyzer counters to stderr at the end.") var stats = false
    @Flag(name: .customShort("q"), help: "No closing summary.") var quiet = false
    @Flag(help: "Analyze on worker lcores: each queue group gets its own ring, capture loop and analyzers (one dashboard or event stream for all).")
    var multi = false
    @Option(help: "With --multi: worker lcores (default: one per CPU the primary is not busy-polling).") var workers: Int?
    @OptionGroup var ring: RingArguments
    @Flag(help: "Disable a stale capture registration on our queues, then proceed.") var takeover = false

    func validate() throws {
        if tx && both { throw ValidationError("use only one of --tx, --both") }
        if json && lines { throw ValidationError("use only one of --json, --lines") }
        if count == 0 { throw ValidationError("-c must be at least 1") }
        if workers != nil && !multi { throw ValidationError("--workers needs --multi") }
        if let workers, workers < 1 || workers > 64 { throw ValidationError("--workers must be between 1 and 64") }
    }

    /// JSON unless --lines: asked for, or stdout is a pipe or a file.
    var streamsJSON: Bool { json || (!lines && isatty(1) == 0) }

    func run() throws {
        let configuration = try analyzer.configuration()
        let stops = try AutostopConditions(parsing: autostop)
        if stops.fileBytes != nil { throw ValidationError("-a filesize: needs a file; watch writes none") }
        let specs = try interfaces.map { try InterfaceSpec(parsing: $0) }
        let snap = try Snaplen.validate(Snaplen.maximum)
        let compiled = try filter.map { try PacketFilter(expression: $0, snaplen: snap) }
        let logger = attach.makeLogger()
        let attachment = try attach.attach(requirePdump: true, workers: multi ? workers : 0, logger: logger)
        defer { attachment.detach() }
        defer { compiled?.release() }
        try compiled?.convert()
        let ports = Ports.all()
        let tuples = try CaptureSelection.tuples(for: specs, among: ports, directions: both ? [.rx, .tx] : tx ? [.tx] : [.rx])
        let captured = CaptureSelection.ports(of: tuples).compactMap { id in ports.first { $0.id == id } }
        if multi {
            return try runMulti(tuples: tuples, captured: captured, configuration: configuration, filter: compiled,
                                snaplen: snap, stops: stops, attachment: attachment, logger: logger)
        }
        let session = try CaptureSession(attachment: attachment, tuples: tuples, settings: ring.settings(snaplen: snap),
                                         filter: compiled, takeover: takeover, logger: logger)
        defer { session.release() }
        try session.start()
        // Said once the callbacks are installed, as with --multi: traffic from here on is seen.
        if !quiet { writeStderr("Watching \(captured.map { "'\($0.name)'" }.joined(separator: ", ")) for \(configuration.selection.enabled.map(\.rawValue).joined(separator: ", "))\n") }
        // The screen is taken only once the capture runs, and given back on
        // every way out of here: the defer, or at once after the loop so the
        // closing summary lands on the normal screen.
        let screen = json || lines ? nil : TerminalScreen()
        defer { screen?.restore() }
        let dashboard = screen.map { screen in
            DashboardHub(dashboard: LiveDashboard(display: screen, ports: captured.map(\.name), now: LiveDashboard.monotonicNow()) {
                session.tuples.reduce(PdumpCounters()) { $0 + session.counters($1) }
            })
        }
        dashboard?.refresh(now: LiveDashboard.monotonicNow())
        let analysis = LiveAnalysis(configuration: configuration, json: streamsJSON, dashboard: dashboard)
        CaptureLoop.prepare(packetLimit: [count, stops.packets].compactMap { $0 }.min())
        let loop = CaptureLoop(session: session, writer: nil, observer: analysis, interfacePorts: captured.map(\.id),
                               limits: .init(seconds: stops.seconds), logger: logger,
                               progress: { _ in analysis.idle() })
        let outcome = try loop.run()
        analysis.finish()
        screen?.restore()
        let report = CaptureReport(sessions: [session], ports: captured)
        if !quiet {
            writeStderr("Transactions: \(analysis.transactions)\n")
            writeStderr(report.summary(.init(packets: outcome.packets), outcome: outcome))
        }
        if stats {
            writeStderr(analysis.statsFields.map { "\($0.0)=\($0.1)" }.joined(separator: "\n") + "\n")
        }
        if outcome.reason == .primaryExited { throw PrimaryExit.error(attachment.primary) }
    }
}
