/// Where an output's records wait while its backend is down or slow:
/// batches in arrival order, bounded, the oldest dropped (and counted)
/// past the bound. Used from the output's thread only.
protocol Backlog: AnyObject {
    var isEmpty: Bool { get }
    /// Appends one batch; returns how many records were dropped to make room
    /// (the oldest batches first, or this batch itself if it alone is too big).
    func append(_ batch: [[UInt8]]) throws -> Int
    /// The oldest batch, or nil when empty.
    func oldest() throws -> [[UInt8]]?
    func removeOldest() throws
    /// Records waiting.
    var records: Int { get }
    /// Records lost since the last call (unreadable files), to be counted as dropped.
    func takeLost() -> Int
    /// `batch` fits without pushing anything out.
    func hasRoom(for batch: [[UInt8]]) -> Bool
}

/// The backlog when no spool is configured: memory, bounded by records.
final class MemoryBacklog: Backlog {
    private var batches: [[[UInt8]]] = []
    private var head = 0
    private(set) var records = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var isEmpty: Bool { head == batches.count }

    func append(_ batch: [[UInt8]]) throws -> Int {
        guard batch.count <= capacity else { return batch.count }
        var dropped = 0
        while records + batch.count > capacity, !isEmpty {
            dropped += batches[head].count
            try removeOldest()
        }
        batches.append(batch)
        records += batch.count
        return dropped
    }

    func oldest() throws -> [[UInt8]]? { isEmpty ? nil : batches[head] }

    func takeLost() -> Int { 0 }

    func hasRoom(for batch: [[UInt8]]) -> Bool { records + batch.count <= capacity }

    func removeOldest() throws {
        guard !isEmpty else { return }
        records -= batches[head].count
        batches[head] = []
        head += 1
        if head > 64 && head * 2 > batches.count {
            batches.removeFirst(head)
            head = 0
        }
    }
}
