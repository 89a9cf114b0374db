/// One flow's state. Only trivial fields (no references), so records live
/// in one preallocated array and updating them never touches the heap.
struct FlowRecord {
    var key: FlowKey
    var hash: UInt64 = 0
    var id: UInt64 = 0
    var firstSeen: UInt64 = 0
    var lastSeen: UInt64 = 0
    var packetsFromLow: UInt64 = 0
    var packetsFromHigh: UInt64 = 0
    var bytesFromLow: UInt64 = 0
    var bytesFromHigh: UInt64 = 0
    var initiator = FlowDirection.fromLow
    var tcp = TCPSides()
    /// Why a flow in the closed list ended (its final event is emitted when
    /// its linger is over, so the last ACKs are still counted).
    var endReason = FlowEvent.EndReason.closed
    var communityID = SHA1Digest(h0: 0, h1: 0, h2: 0, h3: 0, h4: 0)
    var list = FlowStorage.freeList
    var previous: Int32 = -1
    var next: Int32 = -1

    static let empty = FlowRecord(key: FlowKey(lowAddress: .zero, highAddress: .zero, lowPort: 0, highPort: 0,
                                               ipProtocol: 0, vlanID: 0))
}

/// TCP flags seen, by key side (low/high) rather than by initiator.
struct TCPSides: OptionSet {
    let rawValue: UInt8
    static let syn = TCPSides(rawValue: 0x01)
    static let synAck = TCPSides(rawValue: 0x02)
    static let finFromLow = TCPSides(rawValue: 0x04)
    static let finFromHigh = TCPSides(rawValue: 0x08)
    static let rst = TCPSides(rawValue: 0x10)
}

/// Preallocated flow storage: a record slab with a free stack, an
/// open-addressing index (linear probing, at most half full, backward-shift
/// deletion so no tombstones build up) and doubly linked recency lists.
/// After `init`, nothing here grows: every operation is index arithmetic.
struct FlowStorage {
    /// Recency lists: one per idle-timeout class, plus one for closed flows.
    static let tcpList: UInt8 = 0
    static let udpList: UInt8 = 1
    static let otherList: UInt8 = 2
    static let closedList: UInt8 = 3
    static let listCount = 4
    static let freeList: UInt8 = 0xFF

    var records: [FlowRecord]
    var freeRecords: [Int32]
    var slots: [Int32]
    let mask: Int
    /// Most recently used at the head; the tail is the longest idle.
    var heads: [Int32] = Array(repeating: -1, count: FlowStorage.listCount)
    var tails: [Int32] = Array(repeating: -1, count: FlowStorage.listCount)
    /// Records on each list.
    var counts: [Int] = Array(repeating: 0, count: FlowStorage.listCount)

    init(capacity: Int) {
        records = Array(repeating: .empty, count: capacity)
        freeRecords = (0..<Int32(capacity)).reversed()
        var slotCount = 16
        while slotCount < capacity * 2 { slotCount *= 2 }
        slots = Array(repeating: -1, count: slotCount)
        mask = slotCount - 1
    }

    var activeCount: Int { records.count - freeRecords.count }

    /// The slot holding `key`, or the empty slot where it would go (record -1).
    func find(_ key: FlowKey, hash: UInt64) -> (slot: Int, record: Int32) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let candidate = slots[slot]
            if candidate < 0 { return (slot, -1) }
            let index = Int(candidate)
            if records[index].hash == hash && records[index].key == key { return (slot, candidate) }
            slot = (slot &+ 1) & mask
        }
    }

    /// Takes a free record for `key` and links it into `slot` and `list`.
    mutating func insert(_ record: FlowRecord, slot: Int, list: UInt8) -> Int32? {
        guard let index = freeRecords.popLast() else { return nil }
        records[Int(index)] = record
        records[Int(index)].list = list
        slots[slot] = index
        pushFront(index, list: list)
        return index
    }

    /// Unlinks a record from its list and the index and frees it.
    mutating func remove(_ index: Int32) {
        let position = Int(index)
        guard records[position].list != FlowStorage.freeList else { return }
        unlink(index)
        let (slot, found) = find(records[position].key, hash: records[position].hash)
        if found == index { deleteSlot(slot) }
        records[position].list = FlowStorage.freeList
        freeRecords.append(index)
    }

    private mutating func deleteSlot(_ start: Int) {
        LinearProbing.empty(start, in: &slots, mask: mask) { [records] in records[Int($0)].hash }
    }

    mutating func moveToFront(_ index: Int32) {
        let list = records[Int(index)].list
        guard heads[Int(list)] != index else { return }
        unlink(index)
        pushFront(index, list: list)
    }

    mutating func move(_ index: Int32, toList list: UInt8) {
        unlink(index)
        records[Int(index)].list = list
        pushFront(index, list: list)
    }

    private mutating func pushFront(_ index: Int32, list: UInt8) {
        let position = Int(index)
        let head = heads[Int(list)]
        records[position].previous = -1
        records[position].next = head
        if head >= 0 { records[Int(head)].previous = index } else { tails[Int(list)] = index }
        heads[Int(list)] = index
        counts[Int(list)] &+= 1
    }

    private mutating func unlink(_ index: Int32) {
        let position = Int(index)
        let list = Int(records[position].list)
        let previous = records[position].previous
        let next = records[position].next
        if previous >= 0 { records[Int(previous)].next = next } else { heads[list] = next }
        if next >= 0 { records[Int(next)].previous = previous } else { tails[list] = previous }
        records[position].previous = -1
        records[position].next = -1
        counts[list] &-= 1
    }
}
