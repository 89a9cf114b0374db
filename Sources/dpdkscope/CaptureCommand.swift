import ArgumentParser
import CDPDK
import Foundation
import Logging
import ScopeCore
import ScopeDPDK
import ScopePcap

/// `dpdkscope capture`: dpdk-dumpcap's job, on every -i given, with rotation,
/// exact stop counts and a drained ring at stop. Options follow Wireshark's
/// and DPDK's dumpcap where they overlap.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture the primary's traffic per port/queue into pcapng (or pcap).",
        discussion: "Status goes to stderr, so '-w -' can feed a pipe: dpdkscope capture -i 0 -w - | tshark -r -")

    @OptionGroup var attach: AttachArguments

    @Option(name: .customShort("i"), help: "PORT[:QUEUE|:*], port id or device name; repeatable. Default: every port.")
    var interfaces: [String] = []
    @Flag(help: "Capture received packets only.") var rx = false
    @Flag(help: "Capture transmitted packets only.") var tx = false
    @Flag(help: "Capture both directions (default).") var both = false
    @Option(name: .customShort("w"), help: "Output file; '-' writes to standard output.") var output: String?
    @Flag(name: .customShort("P"), help: "Write classic pcap (nanosecond timestamps) instead of pcapng.") var pcap = false
    @Flag(name: .customShort("n"), help: "Write pcapng (default; for dumpcap compatibility).") var pcapng = false
    @Option(name: .customShort("s"), help: "Snapshot length in bytes (1…262144).") var snaplen = Snaplen.maximum
    @Option(name: .customShort("c"), help: "Stop after exactly N packets.") var count: UInt64?
    @Option(name: .customShort("a"), help: "Autostop: duration:S, filesize:KB or packets:N; repeatable.") var autostop: [String] = []
    @Option(name: .customShort("b"), help: "Ring buffer: filesize:KB, duration:S, files:N; repeatable.") var ringBuffer: [String] = []
    @Option(name: .customShort("f"), help: "libpcap capture filter, run by the primary.") var filter: String?
    @Flag(name: .customShort("d"), help: "Print the filter as classic BPF and as the eBPF it becomes, then exit.") var dumpFilter = false
    @Flag(name: .customShort("q"), help: "Do not report packet counts.") var quiet = false
    @Option(help: "Comment stored in the file's section header; repeatable.") var captureComment: [String] = []
    @Flag(name: .customShort("g"), help: "Make output files group-readable (0640 instead of 0600).") var groupReadable = false
    @OptionGroup var ring: RingArguments
    @Flag(help: "Disable a stale capture registration (e.g. of a killed capture) on our queues, then proceed.")
    var takeover = false
    @Flag(help: "Print a JSON summary as the last line on stderr.") var jsonSummary = false
    @Flag(help: "One ring, file and pinned worker lcore per group of queues (see --workers, --lcores).")
    var multi = false
    @Option(help: "With --multi: worker lcores (default: one per CPU the primary is not busy-polling).")
    var workers: Int?
    @Flag(help: "With --multi: merge the workers' output into one file, in timestamp order.") var merge = false

    func validate() throws {
        if [rx, tx, both].filter({ $0 }).count > 1 { throw ValidationError("use only one of --rx, --tx, --both") }
        if pcap && pcapng { throw ValidationError("-P and -n contradict each other") }
        if count == 0 { throw ValidationError("-c must be at least 1") }
        if (workers != nil || merge) && !multi { throw ValidationError("--workers and --merge need --multi") }
        if let workers, workers < 1 || workers > 64 { throw ValidationError("--workers must be in 1…64") }
        if multi && merge && !ringBuffer.isEmpty { throw ValidationError("--merge cannot be combined with -b") }
        if multi && !merge && output == "-" { throw ValidationError("--multi writes one file per worker; add --merge to write to stdout") }
    }

    var directions: [CaptureDirection] { rx ? [.rx] : tx ? [.tx] : [.rx, .tx] }

    func run() throws {
        let snap = try Snaplen.validate(snaplen)
        let stops = try AutostopConditions(parsing: autostop)
        var rotation = RotationPolicy()
        for option in ringBuffer { try rotation.apply(option) }
        let specs = try interfaces.map { try InterfaceSpec(parsing: $0) }
        // A bad expression is refused before anything is attached.
        let compiled = try filter.map { try PacketFilter(expression: $0, snaplen: snap) }
        let logger = attach.makeLogger()
        // Forked before EAL starts its threads; see CrashTruncationGuard.
        if !dumpFilter && output != "-" { crashGuard = CrashTruncationGuard.start() }
        let attachment = try attach.attach(requirePdump: !dumpFilter, workers: multi ? workers : 0, logger: logger)
        defer { attachment.detach() }
        if dumpFilter {
            // rte_bpf_convert allocates in hugepage memory, hence the attach.
            let shown = try compiled ?? PacketFilter(expression: "", snaplen: snap)
            defer { shown.release() }
            try shown.dump()
            return
        }
        defer { compiled?.release() } // runs before detach: defers unwind in reverse
        try compiled?.convert()
        let ports = Ports.all()
        let tuples = try CaptureSelection.tuples(for: specs, among: ports, directions: directions)
        let plan = CapturePlan(
            tuples: tuples, captured: CaptureSelection.ports(of: tuples).compactMap { id in ports.first { $0.id == id } },
            settings: ring.settings(snaplen: snap), filter: compiled,
            limits: .init(seconds: stops.seconds, fileBytes: stops.fileBytes),
            packetLimit: [count, stops.packets].compactMap { $0 }.min())
        let path = output ?? CaptureCommand.defaultPath(for: plan.captured, pcap: pcap)
        let result = multi
            ? try runMulti(plan, path: path, rotation: rotation, attachment: attachment, logger: logger)
            : try runSingle(plan, path: path, rotation: rotation, attachment: attachment, logger: logger)
        if !quiet { writeStderr(result.report.summary(result.totals, outcome: result.outcome)) }
        if jsonSummary { writeStderr(try result.report.json(result.totals, outcome: result.outcome) + "\n") }
        if result.outcome.reason == .primaryExited { throw PrimaryExit.error(attachment.primary) }
    }

    /// What every capture mode needs once the primary's ports are known.
    struct CapturePlan {
        var tuples: [CaptureTuple]
        var captured: [PortInfo]
        var settings: CaptureSession.Settings
        var filter: PacketFilter?
        var limits: CaptureLoop.Limits
        var packetLimit: UInt64?
        var interfacePorts: [UInt16] { captured.map(\.id) }
    }

    struct CaptureResult {
        var report: CaptureReport
        var totals: CaptureReport.Totals
        var outcome: CaptureLoop.Outcome
    }

    func runSingle(_ plan: CapturePlan, path: String, rotation: RotationPolicy, attachment: Attachment,
                   logger: Logger) throws -> CaptureResult {
        let session = try CaptureSession(attachment: attachment, tuples: plan.tuples, settings: plan.settings,
                                         filter: plan.filter, takeover: takeover, logger: logger)
        defer { session.release() }
        let report = CaptureReport(sessions: [session], ports: plan.captured)
        let writer = try makeWriter(path: path, ports: plan.captured, rotation: rotation, report: report)
        try session.start()
        announce(plan, path: path)
        CaptureLoop.prepare(packetLimit: plan.packetLimit)
        var previous = (packets: UInt64(0), time: 0.0)
        let live = !quiet && isatty(2) != 0
        let loop = CaptureLoop(
            session: session, writer: writer, interfacePorts: plan.interfacePorts, limits: plan.limits, logger: logger,
            progress: live ? { written in
                writeStderr(report.liveLine(written: written, previous: &previous, now: Date().timeIntervalSince1970))
            } : nil)
        let outcome = try loop.run()
        if outcome.reason != .outputClosed { try writer.close() }
        if live { writeStderr("\r\u{1B}[K") }
        return CaptureResult(report: report, totals: .init(writers: [writer]), outcome: outcome)
    }

    /// "Capturing on …", said once the primary's callbacks are installed:
    /// from this line on, every packet of the captured queues is in the
    /// file (scripts and tests start their traffic on it).
    func announce(_ plan: CapturePlan, path: String) {
        guard !quiet else { return }
        writeStderr("Capturing on \(plan.captured.map { "'\($0.name)'" }.joined(separator: ", "))\n")
        if output == nil { writeStderr("File: \(path)\n") }
    }

    /// A writer for `ports`, with one IDB each; ISB counters come from the
    /// report's sessions (only the tuples they capture).
    func makeWriter(path: String, ports: [PortInfo], rotation: RotationPolicy, report: CaptureReport) throws -> CaptureFileWriter {
        try Self.makeWriter(path: path, format: pcap ? .pcap : .pcapng, snaplen: UInt32(snaplen), groupReadable: groupReadable,
                            comments: captureComment, ports: ports, filter: { _ in filter }, rotation: rotation, report: report)
    }

    /// Shared with the agent's dumpfile, whose captures may each carry a filter.
    static func makeWriter(path: String, format: CaptureFileConfiguration.Format, snaplen: UInt32, groupReadable: Bool,
                           comments: [String], ports: [PortInfo], filter: (UInt16) -> String?, rotation: RotationPolicy,
                           report: CaptureReport) throws -> CaptureFileWriter {
        try CaptureFileWriter(
            configuration: CaptureFileConfiguration(
                path: path, format: format, snapLength: snaplen, groupReadable: groupReadable,
                rotation: rotation,
                section: .describingThisHost(application: "dpdkscope \(DPDKScope.version)", comments: comments),
                interfaces: ports.map {
                    InterfaceDescriptionBlock(snapLength: snaplen, name: $0.name,
                                              description: "\($0.driver) port \($0.id) (DPDK)", filter: filter($0.id))
                }),
            statistics: { index in
                let counters = report.counters(port: ports[index].id)
                return InterfaceStatistics(received: counters.accepted &+ counters.filtered, dropped: counters.dropped,
                                           filterAccepted: counters.accepted)
            },
            crashGuard: crashGuard)
    }

    /// Like dumpcap: a fresh file in /tmp named after the first interface.
    static func defaultPath(for ports: [PortInfo], pcap: Bool) -> String {
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let name = ports.first?.name.map { $0.isLetter || $0.isNumber ? $0 : "_" } ?? []
        return "/tmp/dpdkscope_\(String(name))_\(stamp).\(pcap ? "pcap" : "pcapng")"
    }
}
