import CDPDK
import Logging
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// Proves a capture path end to end: enable pdump on every queue of the
/// chosen ports into our own ring and pool, dequeue for a while, then tear
/// down in the safe order (disable, grace period, drain, free).
///
/// This is the smallest real capture; `capture` builds on the same steps.
public struct PdumpProbe {
    public struct Result: Codable, Sendable {
        public var seconds: Double
        public var dequeued: UInt64
        public var bytes: UInt64
        public var counters: [String: PdumpCounters]
    }

    public struct Tuple: Hashable, Sendable, CustomStringConvertible {
        public var port: UInt16
        public var portName: String
        public var queue: UInt16
        public var transmit: Bool
        public var description: String { "port \(portName) queue \(queue) \(transmit ? "tx" : "rx")" }
    }

    let attachment: Attachment
    let ports: [PortInfo]
    let snaplen: UInt32
    let logger: Logger

    public init(attachment: Attachment, ports: [PortInfo], snaplen: UInt32 = 128, logger: Logger) {
        self.attachment = attachment
        self.ports = ports
        self.snaplen = snaplen
        self.logger = logger
    }

    var tuples: [Tuple] {
        ports.flatMap { port in
            (0..<port.rxQueues).map { Tuple(port: port.id, portName: port.name, queue: $0, transmit: false) }
                + (0..<port.txQueues).map { Tuple(port: port.id, portName: port.name, queue: $0, transmit: true) }
        }
    }

    public func run(seconds: Double) throws -> Result {
        let pid = getpid()
        guard let ring = rte_ring_create("dpdkscope-r-\(pid)", 4096, rte_socket_id_by_idx(0), 0) else {
            throw ScopeError(.failure, "cannot create capture ring: \(String(cString: rte_strerror(cdpdk_errno())))")
        }
        defer { rte_ring_free(ring) }
        let dataRoom = rte_pcapng_mbuf_size(snaplen)
        guard dataRoom <= UInt32(UInt16.max),
              let pool = rte_pktmbuf_pool_create_by_ops("dpdkscope-p-\(pid)", 8191, 32, 0, UInt16(dataRoom),
                                                        rte_socket_id_by_idx(0), "ring_mp_mc") else {
            throw ScopeError(.failure, "cannot create capture mempool: \(String(cString: rte_strerror(cdpdk_errno())))")
        }
        defer { rte_mempool_free(pool) }

        var enabled: [Tuple] = []
        defer { disable(enabled, ring: ring) }
        for tuple in tuples {
            let flags = UInt32(tuple.transmit ? RTE_PDUMP_FLAG_TX : RTE_PDUMP_FLAG_RX) | UInt32(RTE_PDUMP_FLAG_PCAPNG)
            if rte_pdump_enable_bpf(tuple.port, tuple.queue, flags, snaplen, ring, pool, nil) != 0 {
                let err = cdpdk_errno()
                if err == EEXIST {
                    throw ScopeError(.alreadyCapturing,
                                     "\(tuple) is already being captured by another process (or by one killed without cleanup, which left its callback installed)")
                }
                throw ScopeError(.failure, "cannot enable capture on \(tuple): \(String(cString: rte_strerror(err)))")
            }
            enabled.append(tuple)
        }

        var result = Result(seconds: 0, dequeued: 0, bytes: 0, counters: [:])
        let started = monotonicSeconds()
        var nextLiveness = started
        var objects = [UnsafeMutableRawPointer?](repeating: nil, count: 64)
        while true {
            let now = monotonicSeconds()
            if now - started >= seconds || cdpdk_stop_signal() != 0 { break }
            if now >= nextLiveness {
                nextLiveness = now + 0.5
                guard attachment.primaryAlive else {
                    enabled.removeAll() // nobody left to disable them in
                    throw PrimaryExit.error(attachment.primary)
                }
                try checkCopiesArrive(elapsed: now - started, dequeued: result.dequeued)
            }
            let n = drainOnce(ring: ring, into: &objects, result: &result)
            if n == 0 { usleep(100) }
        }
        disable(enabled, ring: ring)
        enabled.removeAll()
        // Callbacks may still be running in the primary right after disable:
        // give them a grace period, then drain what they enqueued.
        usleep(50_000)
        while drainOnce(ring: ring, into: &objects, result: &result) > 0 {}
        result.seconds = monotonicSeconds() - started
        for port in ports {
            result.counters[port.name] = PdumpStatistics.port(port)
        }
        try checkCopiesArrive(elapsed: .infinity, dequeued: result.dequeued)
        return result
    }

    /// If the primary counts every copy as nombuf while nothing arrives, its
    /// mempool ops index our pool wrongly: stop and say so.
    func checkCopiesArrive(elapsed: Double, dequeued: UInt64) throws {
        guard elapsed >= 0.5, dequeued == 0 else { return }
        let total = ports.reduce(PdumpCounters()) { $0 + PdumpStatistics.port($1) }
        guard total.accepted == 0, total.nombuf > 0 else { return }
        let why = attachment.opsAlignmentProblem.map { " (alignment failed: \($0))" } ?? ""
        throw ScopeError(.captureBroken,
                         "the primary copied no packet into our pool: \(total.nombuf) copies failed as nombuf. Its mempool ops table orders ops differently from ours (DPDK bug 1073)\(why)")
    }

    func drainOnce(ring: OpaquePointer, into objects: inout [UnsafeMutableRawPointer?], result: inout Result) -> Int {
        let n = objects.withUnsafeMutableBufferPointer { buffer -> Int in
            let count = Int(cdpdk_ring_dequeue_burst(UnsafeMutableRawPointer(ring), buffer.baseAddress, UInt32(buffer.count)))
            for i in 0..<count {
                result.bytes &+= UInt64(cdpdk_mbuf_pkt_len(buffer[i]))
            }
            if count > 0 { cdpdk_free_mbufs(buffer.baseAddress, UInt32(count)) }
            return count
        }
        result.dequeued &+= UInt64(n)
        return n
    }

    func disable(_ tuples: [Tuple], ring: OpaquePointer) {
        for tuple in tuples {
            let flags = UInt32(tuple.transmit ? RTE_PDUMP_FLAG_TX : RTE_PDUMP_FLAG_RX)
            if rte_pdump_disable(tuple.port, tuple.queue, flags) != 0 {
                logger.warning("cannot disable capture on \(tuple): \(String(cString: rte_strerror(cdpdk_errno())))")
            }
        }
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
