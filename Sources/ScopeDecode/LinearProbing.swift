/// What the open-addressing tables (`FlowStorage`'s, `TCPConnectionIndex`)
/// share: positions holding record numbers (-1 empty), probed linearly
/// from the home position a record's hash gives.
enum LinearProbing {
    /// Empties `hole` by backward-shift deletion: later members of its probe
    /// run move into the hole when their home position allows, so lookups
    /// never meet tombstones. `hash` gives a stored record's hash.
    @inline(__always)
    static func empty(_ hole: Int, in positions: inout [Int32], mask: Int, hash: (Int32) -> UInt64) {
        var hole = hole
        var probe = hole
        while true {
            probe = (probe &+ 1) & mask
            let candidate = positions[probe]
            if candidate < 0 { break }
            let home = Int(truncatingIfNeeded: hash(candidate)) & mask
            if (probe &- home) & mask >= (probe &- hole) & mask {
                positions[hole] = candidate
                hole = probe
            }
        }
        positions[hole] = -1
    }
}
