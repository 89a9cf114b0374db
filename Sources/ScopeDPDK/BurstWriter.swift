import CDPDK
import ScopeCore
import ScopePcap

/// Sees every captured packet in the capture worker's thread (live
/// analysis). Called inline, between dequeue and mbuf free: the bytes are
/// only valid during the call.
public protocol PacketObserver: AnyObject {
    /// One packet: its captured bytes, the primary's timestamp (ns since the
    /// epoch, whatever the DPDK release stored) and the port it was seen on.
    func observe(_ packet: UnsafeRawBufferPointer, timestamp: UInt64, port: UInt16)
    /// The ring ran dry: a moment to flush output and advance time.
    func idle()
    /// Twenty times a second: how full the ring stayed after each dequeue,
    /// on average (0...1; the fullest ring when several are polled). Above
    /// about half the loop is falling behind.
    func ringFill(_ meanFill: Double)
    /// Asked twenty times a second: true ends the capture, this loop and
    /// every other worker's, as a stop signal would (the dashboard's `q`, an
    /// output that can no longer be written).
    var wantsStop: Bool { get }
}

extension PacketObserver {
    public func ringFill(_ meanFill: Double) {}
    public var wantsStop: Bool { false }
}

/// The per-packet work of a capture: hand each dequeued EPB to the writer
/// and, when live analysis runs, to the observer.
///
/// A class with unchecked stored state rather than a closure over local
/// vars: captured vars live in boxes with dynamic exclusivity checks on every
/// access, which cost more than the work itself at 10 Mpps.
final class BurstWriter {
    let writer: CaptureFileWriter?
    let observer: PacketObserver?
    /// Packets taken from the ring within the budget (written or observed).
    @exclusivity(unchecked) private(set) var packets: UInt64 = 0
    /// 22.11 only: undoes its pcapng clock fault.
    @exclusivity(unchecked) var clock: PrimaryClockRepair?
    /// 23.11 and later only: the copies carry TSC cycles, not nanoseconds.
    let tscClock: PrimaryTSCClock?
    /// Set once the shared packet budget (-c, -a packets:) ran out.
    @exclusivity(unchecked) private(set) var budgetExhausted = false
    /// Interface index per port id (UInt32.max: not captured).
    private let interfaceOfPort: UnsafeMutablePointer<UInt32>
    private let segments: UnsafeMutableBufferPointer<UnsafeMutableRawBufferPointer>
    /// Multi-segment packets are gathered here for the observer (rare: only
    /// when the snap length exceeds the pool's data room).
    private var gathered: UnsafeMutableRawBufferPointer?
    private static let ports = Int(RTE_MAX_ETHPORTS)
    /// How far ahead to prefetch: mbuf headers twice as far as data, since
    /// the data address comes from the (prefetched) header.
    private static let headerLookahead = 8
    private static let dataLookahead = 4

    /// The packet budget lives in the C shim (cdpdk_workers_reset), shared
    /// by every worker of a --multi capture, so -c stays exact across them.
    init(writer: CaptureFileWriter?, observer: PacketObserver?, interfacePorts: [UInt16],
         clock: PrimaryClockRepair?, tscClock: PrimaryTSCClock? = nil) {
        self.writer = writer
        self.observer = observer
        self.clock = clock
        self.tscClock = tscClock
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
        gathered?.deallocate()
    }

    func consume(_ burst: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) throws {
        // One atomic per burst; packets beyond the budget go back unwritten.
        let count = Int(cdpdk_workers_take_budget(UInt64(burst.count)))
        if count < burst.count { budgetExhausted = true }
        packets &+= UInt64(count)
        // Loaded once per burst: reading a class's reference property per
        // packet costs a retain and a release each time.
        let writer = self.writer, observer = self.observer
        for index in 0..<min(count, Self.headerLookahead) { cdpdk_prefetch(burst[index]) }
        for index in 0..<min(count, Self.dataLookahead) { cdpdk_prefetch(cdpdk_mbuf_data(burst[index])) }
        for index in 0..<count {
            if index &+ Self.headerLookahead < count { cdpdk_prefetch(burst[index &+ Self.headerLookahead]) }
            if index &+ Self.dataLookahead < count { cdpdk_prefetch(cdpdk_mbuf_data(burst[index &+ Self.dataLookahead])) }
            guard let mbuf = burst[index] else { continue }
            let port = Int(cdpdk_mbuf_port(mbuf))
            guard port < Self.ports, interfaceOfPort[port] != .max else { continue }
            try write(mbuf, interface: interfaceOfPort[port], writer: writer, observer: observer)
        }
        // Small packets were copied; anything else still points into these
        // mbufs and must be written before they go back to the pool.
        if let writer, writer.holdsCallerMemory { try writer.flush() }
    }

    @inline(__always)
    private func write(_ mbuf: UnsafeMutableRawPointer, interface: UInt32, writer: CaptureFileWriter?,
                       observer: PacketObserver?) throws {
        let data = cdpdk_mbuf_data(mbuf)!
        clock?.repairBlock(at: data)
        tscClock?.convertBlock(at: data)
        if cdpdk_mbuf_segments(mbuf) == 1 {
            let block = UnsafeMutableRawBufferPointer(start: data, count: Int(cdpdk_mbuf_data_len(mbuf)))
            if let observer { observe(block, observer: observer, port: cdpdk_mbuf_port(mbuf)) }
            try writer?.append(block, interface: interface)
            return
        }
        var used = 0
        var segment: UnsafeMutableRawPointer? = mbuf
        while let current = segment, used < segments.count {
            segments[used] = UnsafeMutableRawBufferPointer(start: cdpdk_mbuf_data(current), count: Int(cdpdk_mbuf_data_len(current)))
            used += 1
            segment = cdpdk_mbuf_next(current)
        }
        if let observer { observeGathered(used, observer: observer, port: cdpdk_mbuf_port(mbuf)) }
        try writer?.append(segments: UnsafeBufferPointer(rebasing: segments[0..<used]), interface: interface)
    }

    @inline(__always)
    private func observe(_ block: UnsafeMutableRawBufferPointer, observer: PacketObserver, port: UInt16) {
        // A block the primary built wrongly is the writer's to report; analysis skips it.
        guard let epb = try? EnhancedPacketBlock(validating: block) else { return }
        observer.observe(epb.packetBytes, timestamp: epb.timestamp, port: port)
    }

    private func observeGathered(_ used: Int, observer: PacketObserver, port: UInt16) {
        let gathered = self.gathered ?? UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 19, alignment: 8)
        self.gathered = gathered
        var length = 0
        for segment in segments[0..<used] {
            guard length &+ segment.count <= gathered.count else { return }
            UnsafeMutableRawBufferPointer(rebasing: gathered[length..<(length &+ segment.count)]).copyMemory(
                from: UnsafeRawBufferPointer(segment))
            length &+= segment.count
        }
        observe(UnsafeMutableRawBufferPointer(rebasing: gathered[0..<length]), observer: observer, port: port)
    }
}
