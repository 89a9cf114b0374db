/// Pairing by identifier (DNS id today; Kafka correlation ids, HTTP/2
/// streams later): pending requests keyed by whatever identifies their
/// response, each expiring `timeout` after it was added, the table bounded
/// by `capacity` (the oldest entry is pushed out first).
///
/// Expiry order is insertion order, kept in a queue beside the dictionary.
/// Entries removed by a match leave a stale queue slot that is skipped when
/// it reaches the front; the queue is compacted if stale slots pile up.
struct ExpiringTable<Key: Hashable, Value> {
    private struct Entry {
        var value: Value
        var time: UInt64
        var serial: UInt64
    }

    private struct Slot {
        var key: Key
        var serial: UInt64
    }

    let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var order: [Slot] = []
    private var head = 0
    private var nextSerial: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// An engine-wide table of datagram requests awaiting their response
    /// (DNS, Memcached over UDP, ICMP echoes): every such table has the one
    /// bound the configuration names for them, decided here.
    init(datagramRequestsOf context: AnalyzerContext) {
        self.init(capacity: context.configuration.maxPendingDNSQueries)
    }

    var count: Int { entries.count }

    /// Adds `value`. Returns the value it replaced under the same key (a
    /// duplicate request) and the oldest value pushed out by the cap.
    mutating func insert(_ value: Value, for key: Key, at time: UInt64) -> (replaced: Value?, evicted: Value?) {
        let replaced = entries.removeValue(forKey: key)?.value
        var evicted: Value?
        if entries.count >= capacity { evicted = popOldest() }
        nextSerial &+= 1
        entries[key] = Entry(value: value, time: time, serial: nextSerial)
        order.append(Slot(key: key, serial: nextSerial))
        compactIfStale()
        return (replaced, evicted)
    }

    /// Removes and returns the value for `key`, if pending.
    mutating func remove(_ key: Key) -> Value? {
        entries.removeValue(forKey: key)?.value
    }

    /// Reports values that waited `timeout` or longer, oldest first.
    mutating func expire(now: UInt64, timeout: UInt64, _ report: (Value) -> Void) {
        while head < order.count {
            let slot = order[head]
            guard let entry = entries[slot.key], entry.serial == slot.serial else {
                head &+= 1  // stale: matched or replaced since
                continue
            }
            guard now >= entry.time, now &- entry.time >= timeout else { break }
            entries.removeValue(forKey: slot.key)
            head &+= 1
            report(entry.value)
        }
        compactIfStale()
    }

    /// Every pending value, oldest first (end of input).
    mutating func drain(_ report: (Value) -> Void) {
        while let value = popOldest() { report(value) }
        order.removeAll()
        head = 0
    }

    private mutating func popOldest() -> Value? {
        while head < order.count {
            let slot = order[head]
            head &+= 1
            if let entry = entries[slot.key], entry.serial == slot.serial {
                entries.removeValue(forKey: slot.key)
                return entry.value
            }
        }
        return nil
    }

    /// Keeps `order` within a small multiple of the live entries.
    private mutating func compactIfStale() {
        if head > 0 && head == order.count {
            order.removeAll(keepingCapacity: true)
            head = 0
        } else if order.count > 64 && order.count > 4 &* (entries.count &+ 16) {
            order = order[head...].filter(isLive)
            head = 0
        }
    }

    /// Whether `slot` still names its key's entry. The serial is read in
    /// place: `entries[key]?.serial` copied the whole entry out (a DNS
    /// query and its endpoints, about 400 instructions with its destroy).
    private func isLive(_ slot: Slot) -> Bool {
        guard let index = entries.index(forKey: slot.key) else { return false }
        return entries.values[index].serial == slot.serial
    }
}
