/// `TCPStreamReassembler`'s index key: the flow key with the flow table's
/// cheap seeded hash computed once, so Hasher absorbs one word instead of
/// every field of the key (the synthesized hash was a tenth of the
/// per-segment cost). The seed is random per reassembler, as the flow
/// table's is per table; equality still compares the whole key.
struct IndexKey: Hashable, Sendable {
    let key: FlowKey
    let hash: UInt64

    init(_ key: FlowKey, seed: UInt64) {
        self.key = key
        hash = key.hash(seed: seed)
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    static func == (lhs: IndexKey, rhs: IndexKey) -> Bool { lhs.hash == rhs.hash && lhs.key == rhs.key }
}
