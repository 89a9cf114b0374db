import Foundation
import ScopeCore
import ScopeDPDK
import ScopePcap

/// What `capture` tells the user on stderr: a live line on a TTY, the
/// dumpcap-style summary at exit, and `--json-summary` for scripts.
struct CaptureReport {
    let session: CaptureSession
    let ports: [PortInfo]

    /// One line, refreshed at most once a second: written, rate, and pdump
    /// counters per queue and direction.
    func liveLine(written: UInt64, previous: inout (packets: UInt64, time: Double), now: Double) -> String {
        let rate = now > previous.time ? Double(written &- previous.packets) / (now - previous.time) : 0
        previous = (written, now)
        let queues = session.tuples.map { tuple -> String in
            let c = session.counters(tuple)
            return "\(tuple.port)/\(tuple.queue)\(tuple.direction.rawValue) a=\(c.accepted) f=\(c.filtered) nb=\(c.nombuf) rf=\(c.ringfull)"
        }
        return "\rPackets: \(written) (\(Int(rate)) pkt/s)  " + queues.joined(separator: "  ") + "\u{1B}[K"
    }

    /// dumpcap's closing lines, plus why we stopped.
    func summary(writer: CaptureFileWriter, outcome: CaptureLoop.Outcome) -> String {
        var text = "Packets captured: \(writer.totalPackets) (\(outcome.reason.rawValue); \(outcome.inFlightAtStop) drained from the ring at stop)\n"
        for port in ports {
            let c = session.counters(port: port.id)
            let received = c.accepted &+ c.filtered
            let percent = received == 0 ? 0 : Double(c.dropped) * 100 / Double(received)
            text += "Packets received/dropped on interface '\(port.name)': \(received)/\(c.dropped) (filtered \(c.filtered), nombuf \(c.nombuf), ringfull \(c.ringfull), \(String(format: "%.1f", percent))% dropped)\n"
        }
        return text
    }

    struct JSONSummary: Encodable {
        struct Queue: Encodable {
            var port: UInt16
            var portName: String
            var queue: UInt16
            var direction: String
            var accepted, filtered, nombuf, ringfull: UInt64
        }
        var packetsWritten: UInt64
        var bytesWritten: UInt64
        var seconds: Double
        var stopReason: String
        var packetsInFlightAtStop: Int
        var files: [String]
        var queues: [Queue]
    }

    func json(writer: CaptureFileWriter, outcome: CaptureLoop.Outcome) throws -> String {
        let summary = JSONSummary(
            packetsWritten: writer.totalPackets, bytesWritten: writer.totalBytes,
            seconds: (outcome.seconds * 1000).rounded() / 1000, stopReason: outcome.reason.rawValue,
            packetsInFlightAtStop: outcome.inFlightAtStop,
            files: writer.configuration.writesToStandardOutput ? ["-"] : (writer.keptFiles.isEmpty ? [writer.currentPath] : writer.keptFiles),
            queues: session.tuples.map { tuple in
                let c = session.counters(tuple)
                return .init(port: tuple.port, portName: tuple.portName, queue: tuple.queue, direction: tuple.direction.rawValue,
                             accepted: c.accepted, filtered: c.filtered, nombuf: c.nombuf, ringfull: c.ringfull)
            })
        return try JSONOutput.string(summary)
    }
}
