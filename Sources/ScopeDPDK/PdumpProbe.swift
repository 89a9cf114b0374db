import CDPDK
import Logging
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// Proves a capture path end to end: enable pdump on every queue of the
/// chosen ports, count what arrives for a while, tear down safely.
public struct PdumpProbe {
    public struct Result: Codable, Sendable {
        public var seconds: Double
        public var dequeued: UInt64
        public var bytes: UInt64
        public var counters: [String: PdumpCounters]
    }

    let attachment: Attachment
    let ports: [PortInfo]
    let logger: Logger

    public init(attachment: Attachment, ports: [PortInfo], logger: Logger) {
        self.attachment = attachment
        self.ports = ports
        self.logger = logger
    }

    public func run(seconds: Double) throws -> Result {
        let tuples = try CaptureSelection.tuples(for: ports.map { InterfaceSpec(port: String($0.id)) },
                                                 among: ports, directions: CaptureDirection.allCases)
        let session = try CaptureSession(attachment: attachment, tuples: tuples,
                                         settings: .init(snaplen: 128, ringSize: 4096, mbufs: 8191),
                                         filter: nil, logger: logger)
        defer { session.release() }
        try session.start()

        var result = Result(seconds: 0, dequeued: 0, bytes: 0, counters: [:])
        func count(_ burst: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) {
            result.dequeued &+= UInt64(burst.count)
            for mbuf in burst { result.bytes &+= UInt64(cdpdk_mbuf_pkt_len(mbuf)) }
        }
        let started = monotonicSeconds()
        var nextCheck = started
        while true {
            let now = monotonicSeconds()
            if now - started >= seconds || cdpdk_stop_signal() != 0 { break }
            if now >= nextCheck {
                nextCheck = now + 0.5
                guard attachment.primaryAlive else { throw PrimaryExit.error(attachment.primary) }
                if now - started >= 0.5 { try session.checkCopiesArrive(dequeued: result.dequeued) }
            }
            if session.poll(count) == 0 { usleep(100) }
        }
        session.stop(draining: count)
        result.seconds = monotonicSeconds() - started
        for port in ports { result.counters[port.name] = session.counters(port: port.id) }
        try session.checkCopiesArrive(dequeued: result.dequeued)
        return result
    }
}

public enum PrimaryExit {
    public static func error(_ primary: PrimaryProcess) -> ScopeError {
        ScopeError(.primaryExited, "the DPDK primary (pid \(primary.pid), file-prefix '\(primary.prefix)') exited")
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
