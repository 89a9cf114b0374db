import CDPDK
import Logging
import ScopeCore
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// Proves a capture path end to end: enable pdump on every queue of the
/// chosen ports, count what arrives for a while, tear down safely. With
/// nothing written, it is also the drain-only baseline for benchmarks: the
/// most a secondary can dequeue on this machine.
public struct PdumpProbe {
    public struct Result: Codable, Sendable {
        public var seconds: Double
        public var dequeued: UInt64
        public var bytes: UInt64
        public var counters: [String: PdumpCounters]
    }

    let attachment: Attachment
    let ports: [PortInfo]
    let settings: CaptureSession.Settings
    let logger: Logger

    public init(attachment: Attachment, ports: [PortInfo], settings: CaptureSession.Settings, logger: Logger) {
        self.attachment = attachment
        self.ports = ports
        self.settings = settings
        self.logger = logger
    }

    public func run(seconds: Double) throws -> Result {
        let tuples = try CaptureSelection.tuples(for: ports.map { InterfaceSpec(port: String($0.id)) },
                                                 among: ports, directions: CaptureDirection.allCases)
        let session = try CaptureSession(attachment: attachment, tuples: tuples,
                                         settings: settings,
                                         filter: nil, logger: logger)
        defer { session.release() }
        try session.start()

        let tally = Tally()
        let count = tally.count
        let started = monotonicSeconds()
        var nextCheck = started
        var idle = 0
        while true {
            let now = monotonicSeconds()
            if now - started >= seconds || ProcessSignals.stopSignal != 0 { break }
            if now >= nextCheck {
                nextCheck = now + 0.5
                guard attachment.primaryAlive else { throw PrimaryExit.error(attachment.primary) }
                if now - started >= 0.5 { try session.checkCopiesArrive(dequeued: tally.dequeued) }
            }
            // Same idle policy as the capture loop, so this is a fair
            // drain-only baseline.
            if session.poll(count) == 0 {
                idle += 1
                if idle > 64 { usleep(50) }
            } else {
                idle = 0
            }
        }
        session.stop(draining: count)
        var result = Result(seconds: monotonicSeconds() - started, dequeued: tally.dequeued, bytes: tally.bytes, counters: [:])
        for port in ports { result.counters[port.name] = session.counters(port: port.id) }
        try session.checkCopiesArrive(dequeued: result.dequeued)
        return result
    }

    /// Counts dequeued packets. A class with unchecked fields, not a closure
    /// over local vars, which would pay dynamic exclusivity checks per burst.
    final class Tally {
        @exclusivity(unchecked) var dequeued: UInt64 = 0
        @exclusivity(unchecked) var bytes: UInt64 = 0

        func count(_ burst: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) {
            dequeued &+= UInt64(burst.count)
            // Headers were last written by the primary's lcore: prefetch
            // ahead, as the capture path does.
            for index in 0..<min(burst.count, 8) { cdpdk_prefetch(burst[index]) }
            for index in burst.indices {
                if index &+ 8 < burst.count { cdpdk_prefetch(burst[index &+ 8]) }
                bytes &+= UInt64(cdpdk_mbuf_pkt_len(burst[index]))
            }
        }
    }
}

public enum PrimaryExit {
    public static func error(_ primary: PrimaryProcess) -> ScopeError {
        ScopeError(.primaryExited, "the DPDK primary (pid \(primary.pid), file-prefix '\(primary.prefix)') exited")
    }
}

/// Seconds on the monotonic clock, for loop control.
func monotonicSeconds() -> Double {
    Double(CaptureClock.monotonicNanoseconds()) / 1e9
}
