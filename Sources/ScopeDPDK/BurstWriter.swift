import CDPDK
import ScopeCore
import ScopePcap

/// The per-packet work of a capture: hand each dequeued EPB to the writer.
///
/// A class with unchecked stored state rather than a closure over local
/// vars: captured vars live in boxes with dynamic exclusivity checks on every
/// access, which cost more than the work itself at 10 Mpps.
final class BurstWriter {
    let writer: CaptureFileWriter
    @exclusivity(unchecked) var clock: PrimaryClockRepair?
    /// Set once the shared packet budget (-c, -a packets:) ran out.
    @exclusivity(unchecked) private(set) var budgetExhausted = false
    /// Interface index per port id (UInt32.max: not captured).
    private let interfaceOfPort: UnsafeMutablePointer<UInt32>
    private let segments: UnsafeMutableBufferPointer<UnsafeMutableRawBufferPointer>
    private static let ports = Int(RTE_MAX_ETHPORTS)
    /// How far ahead to prefetch: mbuf headers twice as far as data, since
    /// the data address comes from the (prefetched) header.
    private static let headerLookahead = 8
    private static let dataLookahead = 4

    /// The packet budget lives in the C shim (cdpdk_workers_reset), shared
    /// by every worker of a --multi capture, so -c stays exact across them.
    init(writer: CaptureFileWriter, interfacePorts: [UInt16], clock: PrimaryClockRepair?) {
        self.writer = writer
        self.clock = clock
        interfaceOfPort = .allocate(capacity: Self.ports)
        interfaceOfPort.initialize(repeating: .max, count: Self.ports)
        for (index, port) in interfacePorts.enumerated() where Int(port) < Self.ports {
            interfaceOfPort[Int(port)] = UInt32(index)
        }
        segments = .allocate(capacity: 64)
    }

    deinit {
        interfaceOfPort.deallocate()
        segments.deallocate()
    }

    func consume(_ burst: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) throws {
        // One atomic per burst; packets beyond the budget go back unwritten.
        let count = Int(cdpdk_workers_take_budget(UInt64(burst.count)))
        if count < burst.count { budgetExhausted = true }
        for index in 0..<min(count, Self.headerLookahead) { cdpdk_prefetch(burst[index]) }
        for index in 0..<min(count, Self.dataLookahead) { cdpdk_prefetch(cdpdk_mbuf_data(burst[index])) }
        for index in 0..<count {
            if index &+ Self.headerLookahead < count { cdpdk_prefetch(burst[index &+ Self.headerLookahead]) }
            if index &+ Self.dataLookahead < count { cdpdk_prefetch(cdpdk_mbuf_data(burst[index &+ Self.dataLookahead])) }
            guard let mbuf = burst[index] else { continue }
            let port = Int(cdpdk_mbuf_port(mbuf))
            guard port < Self.ports, interfaceOfPort[port] != .max else { continue }
            try write(mbuf, interface: interfaceOfPort[port])
        }
        // Small packets were copied; anything else still points into these
        // mbufs and must be written before they go back to the pool.
        if writer.holdsCallerMemory { try writer.flush() }
    }

    @inline(__always)
    private func write(_ mbuf: UnsafeMutableRawPointer, interface: UInt32) throws {
        let data = cdpdk_mbuf_data(mbuf)!
        clock?.repairBlock(at: data)
        if cdpdk_mbuf_segments(mbuf) == 1 {
            try writer.append(UnsafeMutableRawBufferPointer(start: data, count: Int(cdpdk_mbuf_data_len(mbuf))), interface: interface)
            return
        }
        var used = 0
        var segment: UnsafeMutableRawPointer? = mbuf
        while let current = segment, used < segments.count {
            segments[used] = UnsafeMutableRawBufferPointer(start: cdpdk_mbuf_data(current), count: Int(cdpdk_mbuf_data_len(current)))
            used += 1
            segment = cdpdk_mbuf_next(current)
        }
        try writer.append(segments: UnsafeBufferPointer(rebasing: segments[0..<used]), interface: interface)
    }
}
