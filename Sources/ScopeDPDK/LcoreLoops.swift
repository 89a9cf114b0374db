import CDPDK
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// Capture loops on worker lcores, watched from the main lcore: the launch,
/// watch and wait that `capture --multi`, `watch --multi` and the agent's
/// workers share. A loop that fails stops every other one (never half a
/// capture); a stop signal or the primary's death stops them all.
public final class LcoreLoops {
    private final class Slot {
        let lcore: UInt32
        let loop: CaptureLoop
        var outcome: CaptureLoop.Outcome?
        var failure: Error?

        init(lcore: UInt32, loop: CaptureLoop) {
            self.lcore = lcore
            self.loop = loop
        }

        /// Runs on the worker lcore.
        func run() {
            do {
                outcome = try loop.run()
            } catch {
                failure = error
                cdpdk_workers_request_stop()
            }
        }
    }

    private let slots: [Slot]

    /// The worker lcores EAL gave us, besides the main one.
    public static func workerLcores() -> [UInt32] {
        var ids = [UInt32](repeating: 0, count: 128)
        let count = Int(ids.withUnsafeMutableBufferPointer { cdpdk_worker_lcores($0.baseAddress, UInt32($0.count)) })
        return Array(ids.prefix(max(0, min(count, ids.count))))
    }

    /// The CPU EAL runs `lcore` on (the first of its set), or nil.
    public static func cpu(of lcore: UInt32) -> Int? {
        let cpu = rte_lcore_to_cpu_id(Int32(lcore))
        return cpu >= 0 ? Int(cpu) : nil
    }

    /// One loop per lcore, in order.
    public init(_ placements: [(lcore: UInt32, loop: CaptureLoop)]) {
        slots = placements.map { Slot(lcore: $0.lcore, loop: $0.loop) }
    }

    /// Launches every loop, then watches until all have stopped, calling
    /// `watch` every 20 ms on the main lcore. Throws only when a loop cannot
    /// be launched (the launched ones are stopped and waited for first);
    /// the loops' own failures are in `firstFailure`.
    public func run(attachment: Attachment, watch: () -> Void) throws {
        let entry: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { argument in
            guard let argument else { return -1 }
            Unmanaged<Slot>.fromOpaque(argument).takeUnretainedValue().run()
            return 0
        }
        for slot in slots {
            guard cdpdk_launch(slot.lcore, entry, Unmanaged.passUnretained(slot).toOpaque()) == 0 else {
                cdpdk_workers_request_stop()
                slots.forEach { _ = cdpdk_wait($0.lcore) }
                throw ScopeError(.failure, "cannot launch a capture loop on lcore \(slot.lcore)")
            }
        }
        while slots.contains(where: { cdpdk_lcore_running($0.lcore) }) {
            usleep(20_000)
            if ProcessSignals.stopSignal != 0 || !attachment.primaryAlive { cdpdk_workers_request_stop() }
            watch()
        }
        slots.forEach { _ = cdpdk_wait($0.lcore) }
    }

    /// Each loop's outcome, in order (nil for a loop that failed); valid
    /// once run() returned.
    public var outcomes: [CaptureLoop.Outcome?] { slots.map(\.outcome) }
    /// The first loop's failure, once run() returned.
    public var firstFailure: Error? { slots.lazy.compactMap(\.failure).first }
}
