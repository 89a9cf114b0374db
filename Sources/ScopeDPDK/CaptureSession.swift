import CDPDK
import Logging
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// One capture's life in the order dpdk-dumpcap taught us, minus its
/// mistakes: reclaim leftovers → create ring/pool → enable (all or nothing)
/// → dequeue bursts → disable → grace period → drain → free.
public final class CaptureSession {
    public struct Settings: Sendable {
        public var snaplen: UInt32
        public var ringSize: UInt32
        public var mbufs: UInt32

        /// Small enough that the mbufs the primary writes and we read stay
        /// in cache: 16384/32767 measured 20 % slower here (cold lines on
        /// both sides), 1024 starts to drop on bursts.
        public static let defaultRingSize: UInt32 = 4096

        /// Twice the ring, so a slow reader shows as `ringfull` (which names
        /// the cause) before the pool runs dry (`nombuf`).
        public static func defaultMbufs(ringSize: UInt32) -> UInt32 { ringSize * 2 - 1 }

        /// Asked for; a primary without it gets the ring (`CapturePoolOps.usable`).
        public var poolOps: CapturePoolOps

        public init(snaplen: UInt32, ringSize: UInt32 = defaultRingSize, mbufs: UInt32? = nil,
                    poolOps: CapturePoolOps = .lockFree) {
            self.snaplen = snaplen
            self.ringSize = ringSize
            self.mbufs = mbufs ?? Self.defaultMbufs(ringSize: ringSize)
            self.poolOps = poolOps
        }

        /// Per-mbuf data room: enough for a full-size Ethernet frame plus
        /// the pcapng block around it; longer snaplens use mbuf chains
        /// instead of a uint16 data room that would wrap (dumpcap's bug).
        public var dataRoom: UInt16 {
            UInt16(rte_pcapng_mbuf_size(min(snaplen, 2048)))
        }
    }

    public let attachment: Attachment
    public let tuples: [CaptureTuple]
    public let settings: Settings
    let resources: CaptureResources
    var enabler: PdumpEnabler
    private var burst = [UnsafeMutableRawPointer?](repeating: nil, count: 256)
    /// Entries left in the ring after each poll, summed, and the polls:
    /// the loop's backlog (see `takeMeanFill`).
    @exclusivity(unchecked) private var backlogSum: UInt64 = 0
    @exclusivity(unchecked) private var backlogPolls: UInt64 = 0
    private var released = false
    /// The queues' counters when this capture began, on releases whose
    /// pdump does not clear them at enable (`PdumpCounters.clearedOnEnable`).
    private var countersAtStart: [CaptureTuple: PdumpCounters] = [:]
    /// A callback we could not disable still points at our ring and pool:
    /// freeing them would let the primary write into freed memory.
    private var mustLeak = false

    /// - Parameter instance: tells apart the sessions of one process
    ///   (--multi workers) in shared-memory names.
    public init(attachment: Attachment, tuples: [CaptureTuple], settings: Settings,
                filter: PacketFilter?, takeover: Bool = false, logger: Logger, instance: Int = 0) throws {
        self.attachment = attachment
        self.tuples = tuples
        self.settings = settings
        if instance == 0 { CaptureResources.reclaimAbandoned(logger: logger) }
        let ops = settings.poolOps.usable(primaryOps: attachment.alignedOpsNames)
        if ops != settings.poolOps {
            logger.info("capture pool uses \(ops.rawValue): the primary has no \(settings.poolOps.rawValue) mempool ops we could align with; a dpdkscope killed by SIGKILL while freeing can then stall the primary's lcores")
        }
        resources = try CaptureResources(ringSize: settings.ringSize, mbufs: settings.mbufs, dataRoom: settings.dataRoom,
                                         ops: ops, instance: instance)
        enabler = PdumpEnabler(resources: resources, snaplen: settings.snaplen, filter: filter, takeover: takeover, logger: logger)
    }

    deinit { release() }

    public func start() throws {
        // Read before enable: no callback of ours counts yet, and the
        // claim keeps every other capture off these queues.
        if !PdumpCounters.clearedOnEnable(version: cdpdk_library_version()) {
            for tuple in tuples { countersAtStart[tuple] = rawCounters(tuple) }
        }
        do {
            try enabler.enable(tuples)
        } catch {
            release()
            throw error
        }
    }

    /// Dequeues one burst and hands it to `consume`, which must be done with
    /// every mbuf when it returns (written and flushed); then they are freed.
    /// Returns how many packets the burst held.
    @discardableResult
    public func poll(_ consume: (UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) throws -> Void) rethrows -> Int {
        try burst.withUnsafeMutableBufferPointer { buffer in
            var left: UInt32 = 0
            let count = Int(cdpdk_ring_dequeue_burst(UnsafeMutableRawPointer(resources.ring), buffer.baseAddress,
                                                     UInt32(buffer.count), &left))
            backlogSum &+= UInt64(left)
            backlogPolls &+= 1
            guard count > 0 else { return 0 }
            defer { cdpdk_free_mbufs(buffer.baseAddress, UInt32(count)) }
            try consume(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            return count
        }
    }

    /// Disables every callback, waits for in-flight ones, then drains what
    /// they enqueued through `consume`, so nothing the primary accepted is lost.
    /// Returns how many packets were still in flight (drained after disable).
    @discardableResult
    public func stop(draining consume: (UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) throws -> Void) rethrows -> Int {
        let live = disableAndWait()
        return try live ? settleCopiesInFlight(consume) : drain(consume)
    }

    private func drain(_ consume: (UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) throws -> Void) rethrows -> Int {
        var drained = 0
        while true {
            let n = try poll(consume)
            guard n > 0 else { return drained }
            drained += n
        }
    }

    /// How full the ring stayed after each poll since the last call, on
    /// average (0 empty ... 1 full): whether the loop keeps up. Resets.
    public func takeMeanFill() -> Double {
        defer { backlogSum = 0; backlogPolls = 0 }
        guard backlogPolls > 0, settings.ringSize > 0 else { return 0 }
        return min(1, Double(backlogSum) / Double(backlogPolls) / Double(settings.ringSize))
    }

    /// Packets waiting in our ring, and its capacity.
    public var ringOccupancy: Int { Int(cdpdk_ring_count(UnsafeRawPointer(resources.ring))) }
    public var ringCapacity: Int { Int(settings.ringSize) }

    /// Counters of one tuple since this capture began, from the primary's
    /// shared statistics.
    public func counters(_ tuple: CaptureTuple) -> PdumpCounters {
        let now = rawCounters(tuple)
        return countersAtStart[tuple].map { now.since($0) } ?? now
    }

    private func rawCounters(_ tuple: CaptureTuple) -> PdumpCounters {
        PdumpStatistics.queue(port: tuple.port, queue: tuple.queue, transmit: tuple.direction == .tx)
    }

    /// Sum over the captured tuples of one port.
    public func counters(port: UInt16) -> PdumpCounters {
        tuples.filter { $0.port == port }.reduce(PdumpCounters()) { $0 + counters($1) }
    }

    /// Frees ring, pool and claim; disables first if still enabled.
    public func release() {
        guard !released else { return }
        if !enabler.enabled.isEmpty && disableAndWait() {
            settleCopiesInFlight { _ in }
        }
        while poll({ _ in }) > 0 {}
        released = true
        guard !mustLeak else { return } // left claimed: a later run reclaims it
        guard attachment.primaryAlive else { return } // see PrimaryLiveness
        resources.release()
    }

    /// Grace periods `settleCopiesInFlight` waits at most (a second).
    static let settleRounds = 50

    /// Waits out copies the primary's callbacks began before the disable
    /// took hold: before 25.11, pdump cannot wait for callbacks in flight,
    /// and an overloaded machine can preempt one for longer than the grace
    /// period. An mbuf of our pool that is neither free nor in the ring
    /// (once drained) is such a copy, held by a callback that will still
    /// enqueue or free it. Drains into `consume` until none is left; after
    /// a second the ring and pool stay claimed for a later run to reclaim,
    /// rather than freed under a writer. (A callback preempted before it
    /// allocates shows nothing: the grace period is all there is against
    /// that one.)
    @discardableResult
    private func settleCopiesInFlight(
        _ consume: (UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) throws -> Void
    ) rethrows -> Int {
        var drained = try drain(consume)
        guard !mustLeak else { return drained }
        for _ in 0..<Self.settleRounds {
            if rte_mempool_in_use_count(resources.pool) == 0 { return drained }
            usleep(CaptureResources.gracePeriodMicroseconds)
            drained += try drain(consume)
        }
        mustLeak = true
        enabler.logger.warning("copies into our pool still in flight a second after disable: the ring and pool are left for a later run to reclaim")
        return drained
    }

    /// True when callbacks were disabled in a live primary and may still
    /// be finishing.
    private func disableAndWait() -> Bool {
        guard attachment.primaryAlive else {
            enabler.forgetAll()
            return false
        }
        if !enabler.disableAll().isEmpty { mustLeak = true }
        usleep(CaptureResources.gracePeriodMicroseconds)
        return true
    }

    /// Stops the capture with exit code 4 when the primary counts every copy
    /// as nombuf and nothing arrives: its mempool ops index our pool wrongly.
    public func checkCopiesArrive(dequeued: UInt64) throws {
        guard dequeued == 0 else { return }
        let total = tuples.reduce(PdumpCounters()) { $0 + counters($1) }
        guard total.accepted == 0, total.nombuf > 0 else { return }
        let why = attachment.opsAlignmentProblem.map { " (alignment failed: \($0))" } ?? ""
        throw ScopeError(.captureBroken,
                         "the primary copied no packet into our pool: \(total.nombuf) copies failed as nombuf. Its mempool ops table orders ops differently from ours (DPDK bug 1073)\(why)")
    }
}
