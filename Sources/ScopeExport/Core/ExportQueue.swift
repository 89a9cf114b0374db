import Foundation

/// The hand-off between the caller (a capture loop) and an output's thread:
/// bounded, and never blocking the caller. When it is full the newest items
/// are refused and counted. While the output's thread waits on a request,
/// its relief thread moves items past half the queue to the spool, so a
/// full queue means the process itself is starved (or the spool full), and
/// refusing at once keeps the capture loop going.
final class ExportQueue: @unchecked Sendable {
    /// One record, or a buffer of newline-separated lines (split later, on
    /// the output's thread, so the caller pays one copy per buffer).
    struct Entry {
        var bytes: [UInt8]
        var lines: Int
        var isBuffer: Bool
    }

    private let condition = NSCondition()
    /// Queued entries: `items[head...]` (`take(upTo:)` advances `head`
    /// instead of shifting the rest while the caller may be waiting).
    private var items: [Entry] = []
    private var head = 0
    /// Records (lines) queued: what `capacity` bounds.
    private var weight = 0
    private let capacity: Int
    private var closed = false

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items.reserveCapacity(min(self.capacity, 1 << 12))
    }

    /// Returns how many of `batch` were refused (queue full or closed).
    func offer(_ batch: [[UInt8]]) -> Int {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return batch.count }
        let taken = min(capacity - weight, batch.count)
        if taken > 0 {
            for record in batch.prefix(taken) { items.append(Entry(bytes: record, lines: 1, isBuffer: false)) }
            weight += taken
            condition.signal()
        }
        return batch.count - taken
    }

    /// A buffer of `lines` newline-separated records, whole or not at all;
    /// returns how many records were refused.
    func offer(buffer: [UInt8], lines: Int) -> Int {
        guard lines > 0 else { return 0 }
        condition.lock()
        defer { condition.unlock() }
        guard !closed, weight + lines <= capacity else { return lines }
        items.append(Entry(bytes: buffer, lines: lines, isBuffer: true))
        weight += lines
        condition.signal()
        return 0
    }

    /// Records (lines) queued now.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return weight
    }

    var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// The oldest entries holding at least `lines` records (or all there
    /// are), without waiting.
    func take(upTo lines: Int) -> [Entry] {
        condition.lock()
        defer { condition.unlock() }
        var end = head, taken = 0
        while end < items.count && taken < lines {
            taken += items[end].lines
            end += 1
        }
        let entries = Array(items[head..<end])
        head = end
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)  // taken entries are at most half: amortized, and their bytes freed
            head = 0
        }
        weight -= taken
        return entries
    }

    /// Everything queued; waits up to `until` (monotonic ns) when empty.
    func take(waitingUntil deadline: UInt64) -> [Entry] {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed {
            let now = MonotonicClock.now
            guard deadline > now else { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
        }
        var taken: [Entry] = []
        if head == 0 {
            swap(&taken, &items)
        } else {
            taken = Array(items[head...])
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        weight = 0
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
