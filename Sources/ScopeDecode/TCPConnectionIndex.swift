/// `TCPStreamReassembler`'s index from flow key to connection slot: open
/// addressing with linear probing over the connections' own keys and
/// hashes (the flow table's cheap seeded hash, computed once per packet;
/// the seed is random per reassembler). A Dictionary keyed by the flow key
/// cost about 170 instructions per lookup (generic probing, Hashable
/// witnesses) plus a rehash of the key on insert and remove.
///
/// Kept at most half full, doubling as the reassembler makes slots;
/// backward-shift deletion (`LinearProbing`), so no tombstones build up.
struct TCPConnectionIndex {
    typealias Connection = TCPStreamReassembler.Connection

    /// Connection slot per position, -1 = empty.
    private var entries: [Int32]
    private var mask: Int
    private var count = 0

    init(minimumCapacity: Int) {
        var size = 16
        while size < minimumCapacity &* 2 { size &*= 2 }
        entries = Array(repeating: -1, count: size)
        mask = size &- 1
    }

    /// The slot of the connection with `key` (whose hash is `hash`), if indexed.
    func find(_ key: FlowKey, hash: UInt64, in connections: [Connection]) -> Int32? {
        var position = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = entries[position]
            if slot < 0 { return nil }
            if connections[Int(slot)].hash == hash && connections[Int(slot)].key == key { return slot }
            position = (position &+ 1) & mask
        }
    }

    /// Indexes `slot`, whose key (not indexed yet) hashes to `hash`.
    mutating func insert(_ slot: Int32, hash: UInt64, connections: [Connection]) {
        if (count &+ 1) &* 2 > entries.count { grow(connections) }
        place(slot, hash: hash)
        count &+= 1
    }

    /// Forgets `slot` (it must be indexed, with its key and hash unchanged).
    mutating func remove(_ slot: Int32, connections: [Connection]) {
        var hole = Int(truncatingIfNeeded: connections[Int(slot)].hash) & mask
        while entries[hole] != slot { hole = (hole &+ 1) & mask }
        LinearProbing.empty(hole, in: &entries, mask: mask) { connections[Int($0)].hash }
        count &-= 1
    }

    private mutating func place(_ slot: Int32, hash: UInt64) {
        var position = Int(truncatingIfNeeded: hash) & mask
        while entries[position] >= 0 { position = (position &+ 1) & mask }
        entries[position] = slot
    }

    private mutating func grow(_ connections: [Connection]) {
        let old = entries
        entries = Array(repeating: -1, count: old.count &* 2)
        mask = entries.count &- 1
        for slot in old where slot >= 0 { place(slot, hash: connections[Int(slot)].hash) }
    }
}
