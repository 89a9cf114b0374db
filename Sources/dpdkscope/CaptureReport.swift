import Foundation
import ScopeCore
import ScopeDPDK
import ScopePcap

/// What `capture` tells the user on stderr: a live line on a TTY, the
/// dumpcap-style summary at exit, and `--json-summary` for scripts. Covers
/// one session, or every worker's session of a --multi capture.
struct CaptureReport {
    let sessions: [CaptureSession]
    let ports: [PortInfo]

    /// Output totals over every writer of the capture.
    struct Totals {
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
        var files: [String] = []

        /// Nothing written (watch): only what was taken from the rings.
        init(packets: UInt64) {
            self.packets = packets
        }

        init(writers: [CaptureFileWriter]) {
            for writer in writers {
                packets += writer.totalPackets
                bytes += writer.totalBytes
                files += writer.configuration.writesToStandardOutput ? ["-"]
                    : (writer.keptFiles.isEmpty ? [writer.currentPath] : writer.keptFiles)
            }
        }
    }

    var tuples: [(session: CaptureSession, tuple: CaptureTuple)] {
        sessions.flatMap { session in session.tuples.map { (session, $0) } }
    }

    /// Sum over every session's tuples of one port.
    func counters(port: UInt16) -> PdumpCounters {
        sessions.reduce(PdumpCounters()) { $0 + $1.counters(port: port) }
    }

    /// One line, refreshed at most once a second: written, rate, and pdump
    /// counters per queue and direction.
    func liveLine(written: UInt64, previous: inout (packets: UInt64, time: Double), now: Double) -> String {
        let rate = now > previous.time ? Double(written &- previous.packets) / (now - previous.time) : 0
        previous = (written, now)
        let queues = tuples.map { entry -> String in
            let c = entry.session.counters(entry.tuple)
            return "\(entry.tuple.port)/\(entry.tuple.queue)\(entry.tuple.direction.rawValue) a=\(c.accepted) f=\(c.filtered) nb=\(c.nombuf) rf=\(c.ringfull)"
        }
        return "\rPackets: \(written) (\(Int(rate)) pkt/s)  " + queues.joined(separator: "  ") + "\u{1B}[K"
    }

    /// dumpcap's closing lines, plus why we stopped.
    func summary(_ totals: Totals, outcome: CaptureLoop.Outcome) -> String {
        var text = "Packets captured: \(totals.packets) (\(outcome.reason.rawValue); \(outcome.inFlightAtStop) drained from the ring at stop)\n"
        for port in ports {
            let c = counters(port: port.id)
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

    func json(_ totals: Totals, outcome: CaptureLoop.Outcome) throws -> String {
        try JSONOutput.string(JSONSummary(
            packetsWritten: totals.packets, bytesWritten: totals.bytes,
            seconds: (outcome.seconds * 1000).rounded() / 1000, stopReason: outcome.reason.rawValue,
            packetsInFlightAtStop: outcome.inFlightAtStop, files: totals.files,
            queues: tuples.map { entry in
                let c = entry.session.counters(entry.tuple)
                return .init(port: entry.tuple.port, portName: entry.tuple.portName, queue: entry.tuple.queue,
                             direction: entry.tuple.direction.rawValue,
                             accepted: c.accepted, filtered: c.filtered, nombuf: c.nombuf, ringfull: c.ringfull)
            }))
    }
}
