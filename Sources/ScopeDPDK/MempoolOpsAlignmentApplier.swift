import CDPDK
import ScopeCore

/// Rewrites this process's rte_mempool_ops_table in place. Only safe before
/// we create any mempool: existing pools store indices into the table.
enum MempoolOpsAlignmentApplier {
    static var layout: MempoolOpsTableLayout {
        let c = cdpdk_ops_table_layout()
        return MempoolOpsTableLayout(tableSize: c.table_size, numOpsOffset: c.num_ops_offset, opsOffset: c.ops_offset,
                                     opsStride: c.ops_stride, nameSize: c.name_size, maxOps: Int(c.max_ops))
    }

    static func ownNames() -> [String] {
        withTableBytes { bytes in layout.names(fromTableImage: Array(bytes)) ?? [] }
    }

    @discardableResult
    static func align(toPrimary primary: [String]) throws -> MempoolOpsAlignment {
        let layout = layout
        cdpdk_own_ops_table_lock()
        defer { cdpdk_own_ops_table_unlock() }
        let own = ownNames()
        let plan = try MempoolOpsAlignment(primary: primary, own: own, capacity: layout.maxOps)
        if plan.isIdentity && plan.slots.count == own.count { return plan }
        withTableBytes { bytes in
            let entries = (0..<own.count).map { index -> [UInt8] in
                let start = layout.opsOffset + index * layout.opsStride
                return Array(bytes[start..<start + layout.opsStride])
            }
            for (index, slot) in plan.slots.enumerated() {
                var entry: [UInt8]
                switch slot {
                case .own(let from):
                    entry = entries[from]
                case .placeholder(let name):
                    // Name only, no functions: a pool using it would crash,
                    // but we only ever create pools with ops we registered.
                    entry = [UInt8](repeating: 0, count: layout.opsStride)
                    entry.replaceSubrange(0..<min(name.utf8.count, layout.nameSize - 1),
                                          with: name.utf8.prefix(layout.nameSize - 1))
                }
                let start = layout.opsOffset + index * layout.opsStride
                bytes[start..<start + layout.opsStride].copyBytes(from: entry)
            }
            for index in plan.slots.count..<layout.maxOps {
                let start = layout.opsOffset + index * layout.opsStride
                bytes[start..<start + layout.opsStride].initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        cdpdk_own_ops_table_set_count(UInt32(plan.slots.count))
        let result = ownNames()
        guard Array(result.prefix(primary.count)) == primary else {
            throw ScopeError(.failure, "mempool ops alignment did not take effect: ours \(result), primary \(primary)")
        }
        return plan
    }

    private static func withTableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeMutableRawBufferPointer(start: cdpdk_own_ops_table(), count: layout.tableSize))
    }
}
