import Foundation

/// The hand-off between the caller (a capture loop) and an output's thread:
/// bounded, and never blocking the caller. When it is full the newest items
/// are refused and counted: the thread behind it moves items to the spool
/// far faster than traffic fills it, so a full queue means the process
/// itself is starved, and refusing at once keeps the capture loop going.
final class ExportQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [[UInt8]] = []
    private let capacity: Int
    private(set) var closed = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items.reserveCapacity(min(self.capacity, 1 << 12))
    }

    /// Returns how many of `batch` were refused (queue full or closed).
    func offer(_ batch: [[UInt8]]) -> Int {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return batch.count }
        let room = capacity - items.count
        let taken = min(room, batch.count)
        if taken > 0 {
            items.append(contentsOf: batch.prefix(taken))
            condition.signal()
        }
        return batch.count - taken
    }

    /// Everything queued; waits up to `until` (monotonic ns) when empty.
    func take(waitingUntil deadline: UInt64) -> [[UInt8]] {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed {
            let now = MonotonicClock.now
            guard deadline > now else { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
        }
        var taken: [[UInt8]] = []
        swap(&taken, &items)
        return taken
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

enum MonotonicClock {
    static var now: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
