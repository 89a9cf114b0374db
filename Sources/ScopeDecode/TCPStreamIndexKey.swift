/// `TCPStreamReassembler`'s index key: the flow key with the flow table's
/// cheap seeded hash computed once. The seed is random per reassembler, as
/// the flow table's is per table; equality still compares the whole key.
struct IndexKey: Hashable, Sendable {
    let key: FlowKey
    let hash: UInt64

    init(_ key: FlowKey, seed: UInt64) {
        self.key = key
        hash = key.hash(seed: seed)
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// What the dictionary asks for: the key's own hash, already mixed and
    /// seeded, folded with the dictionary's seed, instead of running SipHash
    /// over it (Hasher's finalize was a third of each segment's index lookup).
    func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: FlowKey.mix(hash ^ UInt64(UInt(bitPattern: seed))))
    }

    static func == (lhs: IndexKey, rhs: IndexKey) -> Bool { lhs.hash == rhs.hash && lhs.key == rhs.key }
}
