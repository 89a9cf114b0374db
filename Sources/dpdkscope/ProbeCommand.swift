import ArgumentParser
import ScopeCore
import ScopeDPDK

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check that capture works: enable pdump on every queue for a moment, count what arrives, clean up.")

    @OptionGroup var attach: AttachArguments
    @Option(name: .customShort("i"), help: "Port id or device name; repeatable. Default: every port.")
    var ports: [String] = []
    @Option(help: "How long to capture, in seconds.") var duration = 1.0
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var ring: RingArguments

    func validate() throws {
        guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be in (0, 3600] seconds") }
    }

    func run() throws {
        let logger = attach.makeLogger()
        let attachment = try attach.attach(requirePdump: true, logger: logger)
        defer { attachment.detach() }
        let selected = try PortSelection.resolve(ports, among: Ports.all())
        let result = try PdumpProbe(attachment: attachment, ports: selected, settings: ring.settings(snaplen: 128),
                                    logger: logger).run(seconds: duration)
        if json {
            try JSONOutput.print(result)
            return
        }
        print("dequeued=\(result.dequeued) bytes=\(result.bytes) seconds=\(String(format: "%.3f", result.seconds))")
        for port in selected {
            print("\(port.id)  \(port.name)  \(result.counters[port.name]?.line ?? "")")
        }
    }
}
