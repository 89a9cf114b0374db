import ArgumentParser
import ScopeCore
import ScopeDPDK

#if canImport(Glibc)
import Glibc
#endif

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Print the primary's pdump counters (accepted, filtered, nombuf, ringfull) per port.")

    @OptionGroup var attach: AttachArguments
    @Option(name: .customShort("i"), help: "Port id or device name; repeatable. Default: every port.")
    var ports: [String] = []
    @Flag(help: "Print JSON lines.") var json = false
    @Flag(help: "Break counters down per queue and direction.") var queues = false
    @Option(help: "Repeat every SECONDS until interrupted (the primary is checked every 500 ms).")
    var interval: Double?
    @Option(help: "With --interval: stop after N reports.") var count: Int?

    struct QueueReport: Encodable {
        var queue: UInt16
        var direction: String
        var counters: PdumpCounters
    }

    struct PortReport: Encodable {
        var port: UInt16
        var name: String
        var counters: PdumpCounters
        var queues: [QueueReport]?
    }

    func validate() throws {
        if let interval, !(interval > 0) { throw ValidationError("--interval must be a positive number of seconds") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        let logger = attach.makeLogger()
        let attachment = try attach.attach(requirePdump: true, logger: logger)
        defer { attachment.detach() }
        let selected = try PortSelection.resolve(ports, among: Ports.all())
        var reports = 0
        while true {
            try printReport(selected)
            reports += 1
            guard let interval, count.map({ reports < $0 }) ?? true else { return }
            // Sleep in 100 ms steps so signals and primary death are seen fast.
            var waited = 0.0
            var sinceCheck = 0.0
            while waited < interval {
                if ProcessSignals.stopSignal != 0 { return }
                if sinceCheck >= 0.5 || waited == 0 {
                    sinceCheck = 0
                    guard attachment.primaryAlive else { throw PrimaryExit.error(attachment.primary) }
                }
                usleep(100_000)
                waited += 0.1
                sinceCheck += 0.1
            }
            guard attachment.primaryAlive else { throw PrimaryExit.error(attachment.primary) }
        }
    }

    func printReport(_ selected: [PortInfo]) throws {
        for port in selected {
            var report = PortReport(port: port.id, name: port.name, counters: PdumpStatistics.port(port), queues: nil)
            if queues {
                report.queues = (0..<port.rxQueues).map {
                    QueueReport(queue: $0, direction: "rx", counters: PdumpStatistics.queue(port: port.id, queue: $0, transmit: false))
                } + (0..<port.txQueues).map {
                    QueueReport(queue: $0, direction: "tx", counters: PdumpStatistics.queue(port: port.id, queue: $0, transmit: true))
                }
            }
            if json {
                try JSONOutput.print(report)
                continue
            }
            print("\(port.id)  \(port.name)  \(report.counters.line)")
            for q in report.queues ?? [] {
                print("    queue \(q.queue) \(q.direction)  \(q.counters.line)")
            }
        }
    }
}
