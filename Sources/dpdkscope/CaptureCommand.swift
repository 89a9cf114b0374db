import ArgumentParser
import CDPDK
import Foundation
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

    func validate() throws {
        if [rx, tx, both].filter({ $0 }).count > 1 { throw ValidationError("use only one of --rx, --tx, --both") }
        if pcap && pcapng { throw ValidationError("-P and -n contradict each other") }
        if count == 0 { throw ValidationError("-c must be at least 1") }
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
        let attachment = try attach.attach(requirePdump: !dumpFilter, logger: logger)
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
        let interfacePorts = CaptureSelection.ports(of: tuples)
        let captured = interfacePorts.compactMap { id in ports.first { $0.id == id } }

        let session = try CaptureSession(
            attachment: attachment, tuples: tuples,
            settings: ring.settings(snaplen: snap),
            filter: compiled, takeover: takeover, logger: logger)
        defer { session.release() }
        let path = output ?? CaptureCommand.defaultPath(for: captured, pcap: pcap)
        let writer = try CaptureFileWriter(
            configuration: CaptureFileConfiguration(
                path: path, format: pcap ? .pcap : .pcapng, snapLength: snap, groupReadable: groupReadable,
                rotation: rotation,
                section: .describingThisHost(application: "dpdkscope \(DPDKScope.version)", comments: captureComment),
                interfaces: captured.map {
                    InterfaceDescriptionBlock(snapLength: snap, name: $0.name,
                                              description: "\($0.driver) port \($0.id) (DPDK)", filter: filter)
                }),
            statistics: { index in
                let port = interfacePorts[index]
                let counters = session.counters(port: port)
                return InterfaceStatistics(received: counters.accepted &+ counters.filtered, dropped: counters.dropped,
                                           filterAccepted: counters.accepted)
            })
        if !quiet {
            writeStderr("Capturing on \(captured.map { "'\($0.name)'" }.joined(separator: ", "))\n")
            if output == nil { writeStderr("File: \(path)\n") }
        }
        try session.start()
        let report = CaptureReport(session: session, ports: captured)
        let limit = [count, stops.packets].compactMap { $0 }.min()
        var previous = (packets: UInt64(0), time: 0.0)
        let live = !quiet && isatty(2) != 0
        let loop = CaptureLoop(
            session: session, writer: writer, interfacePorts: interfacePorts,
            limits: .init(packets: limit, seconds: stops.seconds, fileBytes: stops.fileBytes), logger: logger,
            progress: live ? { written in
                writeStderr(report.liveLine(written: written, previous: &previous, now: Date().timeIntervalSince1970))
            } : nil)
        let outcome = try loop.run()
        if outcome.reason != .outputClosed { try writer.close() }
        if live { writeStderr("\r\u{1B}[K") }
        if !quiet { writeStderr(report.summary(writer: writer, outcome: outcome)) }
        if jsonSummary { writeStderr(try report.json(writer: writer, outcome: outcome) + "\n") }
        if outcome.reason == .primaryExited { throw PrimaryExit.error(attachment.primary) }
    }

    /// Like dumpcap: a fresh file in /tmp named after the first interface.
    static func defaultPath(for ports: [PortInfo], pcap: Bool) -> String {
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let name = ports.first?.name.map { $0.isLetter || $0.isNumber ? $0 : "_" } ?? []
        return "/tmp/dpdkscope_\(String(name))_\(stamp).\(pcap ? "pcap" : "pcapng")"
    }
}
