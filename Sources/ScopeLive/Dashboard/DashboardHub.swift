import ScopeAnalyzers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one capture loop gathered for the dashboard since it last handed
/// over: its transactions, and how many packets it had taken by then.
/// Owned by that loop alone; nothing in it is shared.
public struct DashboardBatch {
    /// A loop hands over (when the hub is free) once it holds this many.
    public static let handOverCount = 4_096
    /// ...and waits for the hub once it holds this many, bounding memory.
    public static let mustHandOverCount = 65_536

    public internal(set) var samples: [TransactionSample] = []
    /// The loop's packets the hub has counted already.
    var countedPackets: UInt64 = 0
    /// The loop's running count of packets analysis shed under overload
    /// (AnalysisAdmission), set before each hand-over, and what the hub
    /// counted of it.
    public var shedPackets: UInt64 = 0
    var countedShed: UInt64 = 0

    public init() { samples.reserveCapacity(256) }

    public mutating func record(_ event: TransactionEvent) {
        samples.append(TransactionSample(event))
    }

    public var wantsHandOver: Bool { samples.count >= Self.handOverCount }
    public var mustHandOver: Bool { samples.count >= Self.mustHandOverCount }
}

/// The one `watch` dashboard, fed by every capture loop (one, or one per
/// worker lcore with --multi). Loops hand over their batches at their idle
/// moments — twenty times a second, under one lock per batch, never per
/// packet — and whichever loop holds the lock when a redraw is due draws
/// it (keys every 50 ms, a frame a second), so the statistics, the keys
/// and the terminal are only ever touched under that lock. A loop that
/// finds the lock taken (another loop is drawing) keeps its batch for its
/// next idle moment instead of waiting, unless the batch is full.
public final class DashboardHub: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var dashboard: LiveDashboard?
    /// Packets every loop has taken, and of those shed, as far as their
    /// batches told.
    private var packets: UInt64 = 0
    private var shed: UInt64 = 0

    /// `dashboard` may come later (`install`), once the captures run.
    public init(dashboard: LiveDashboard? = nil) {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.dashboard = dashboard
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Before the loops start (it is read under the lock afterwards).
    public func install(_ dashboard: LiveDashboard) {
        pthread_mutex_lock(mutex)
        self.dashboard = dashboard
        pthread_mutex_unlock(mutex)
    }

    /// Hands `batch` over (and empties it) and lets the dashboard read keys
    /// and redraw when due. `packets`: the loop's own running count.
    /// `wait`: take the lock even when another loop holds it (a full batch,
    /// the end of the capture); otherwise a busy hub leaves the batch as it
    /// is. Returns true once the dashboard should stop (q, or the terminal
    /// went away).
    @discardableResult
    public func submit(_ batch: inout DashboardBatch, packets loopPackets: UInt64, now: UInt64, wait: Bool = false) -> Bool {
        if wait || batch.mustHandOver {
            pthread_mutex_lock(mutex)
        } else if pthread_mutex_trylock(mutex) != 0 {
            return false
        }
        defer { pthread_mutex_unlock(mutex) }
        let added = loopPackets >= batch.countedPackets ? loopPackets - batch.countedPackets : 0
        packets &+= added
        batch.countedPackets = loopPackets
        shed &+= batch.shedPackets >= batch.countedShed ? batch.shedPackets - batch.countedShed : 0
        batch.countedShed = batch.shedPackets
        guard let dashboard else {
            batch.samples.removeAll(keepingCapacity: true)
            return false
        }
        for sample in batch.samples { dashboard.record(sample) }
        batch.samples.removeAll(keepingCapacity: true)
        return dashboard.tick(packets: packets, shed: shed, now: now)
    }

    /// Draws at once (the first frame, before any traffic).
    public func refresh(now: UInt64) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        dashboard?.refresh(packets: packets, shed: shed, now: now)
    }

    /// Packets the loops reported so far.
    public var packetsCounted: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return packets
    }
}
