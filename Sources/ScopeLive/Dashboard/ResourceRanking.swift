/// The most frequent resources (URL paths, queries, keys, names) of one
/// protocol, in fixed memory however many distinct ones arrive: the
/// space-saving algorithm. A resource not in the table takes the slot of
/// the least counted one and inherits its count as an overestimate, so
/// every resource seen more than n/capacity times is guaranteed a slot and
/// its count is off by at most `overestimate`.
///
/// Resources are cut to `maximumLength` UTF-8 bytes before they are kept;
/// they are stored raw (sanitized only when displayed).
public struct ResourceRanking: Sendable {
    public struct Entry: Sendable {
        public var resource: String
        /// Times seen, plus `overestimate`.
        public var count: UInt64
        /// The count inherited from the entry this one replaced.
        public var overestimate: UInt64
        /// Transactions actually observed since this entry took its slot:
        /// what `meanLatency` and `errors` are over.
        public var observed: UInt64
        public var errors: UInt64
        public var totalLatency: UInt64
        public var maximumLatency: UInt64

        public var meanLatency: UInt64 { observed == 0 ? 0 : totalLatency / observed }
    }

    public let capacity: Int
    public let maximumLength: Int
    public private(set) var entries: [Entry] = []
    private var slots: [String: Int] = [:]

    public init(capacity: Int = 64, maximumLength: Int = 256) {
        self.capacity = max(1, capacity)
        self.maximumLength = max(1, maximumLength)
        entries.reserveCapacity(self.capacity)
        slots.reserveCapacity(self.capacity)
    }

    public mutating func record(_ resource: String, latency: UInt64, isError: Bool) {
        let key = Self.cut(resource, to: maximumLength)
        if let slot = slots[key] {
            entries[slot].count &+= 1
            entries[slot].add(latency: latency, isError: isError)
            return
        }
        var entry = Entry(resource: key, count: 1, overestimate: 0, observed: 0, errors: 0, totalLatency: 0, maximumLatency: 0)
        entry.add(latency: latency, isError: isError)
        guard entries.count == capacity else {
            slots[key] = entries.count
            entries.append(entry)
            return
        }
        let victim = leastCounted()
        let inherited = entries[victim].count
        slots[entries[victim].resource] = nil
        entry.count = inherited &+ 1
        entry.overestimate = inherited
        entries[victim] = entry
        slots[key] = victim
    }

    /// Most counted first.
    public func byCount(_ limit: Int) -> [Entry] {
        Array(entries.sorted { $0.count != $1.count ? $0.count > $1.count : $0.resource < $1.resource }.prefix(max(0, limit)))
    }

    /// Slowest mean first, among entries observed at least `minimumObserved` times.
    public func byMeanLatency(_ limit: Int, minimumObserved: UInt64 = 1) -> [Entry] {
        Array(entries.filter { $0.observed >= minimumObserved }
            .sorted { $0.meanLatency != $1.meanLatency ? $0.meanLatency > $1.meanLatency : $0.resource < $1.resource }
            .prefix(max(0, limit)))
    }

    private func leastCounted() -> Int {
        var victim = 0
        for index in entries.indices where entries[index].count < entries[victim].count { victim = index }
        return victim
    }

    /// At most `limit` UTF-8 bytes, cut before a scalar rather than inside one.
    static func cut(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        let utf8 = Array(text.utf8.prefix(limit + 1))
        var end = limit
        while end > 0, utf8[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: utf8[..<end], as: UTF8.self)
    }
}

extension ResourceRanking.Entry {
    mutating func add(latency: UInt64, isError: Bool) {
        observed &+= 1
        totalLatency &+= latency
        if latency > maximumLatency { maximumLatency = latency }
        if isError { errors &+= 1 }
    }
}
