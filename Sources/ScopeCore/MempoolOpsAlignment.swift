/// Field offsets of `struct rte_mempool_ops_table`, supplied by the C shim so
/// that this pure code can parse a copy read from another process.
public struct MempoolOpsTableLayout: Sendable, Equatable {
    public var tableSize: Int
    public var numOpsOffset: Int
    public var opsOffset: Int
    public var opsStride: Int
    public var nameSize: Int
    public var maxOps: Int

    public init(tableSize: Int, numOpsOffset: Int, opsOffset: Int, opsStride: Int, nameSize: Int, maxOps: Int) {
        self.tableSize = tableSize
        self.numOpsOffset = numOpsOffset
        self.opsOffset = opsOffset
        self.opsStride = opsStride
        self.nameSize = nameSize
        self.maxOps = maxOps
    }

    /// Names in table order, or nil when the bytes cannot be a live table
    /// (wrong address, other DPDK version): a count out of range or a name
    /// that is empty, unterminated or not printable.
    public func names(fromTableImage image: [UInt8]) -> [String]? {
        guard image.count >= tableSize, numOpsOffset + 4 <= image.count else { return nil }
        let count = (0..<4).reduce(0) { $0 | Int(image[numOpsOffset + $1]) << (8 * $1) }
        guard count >= 1, count <= maxOps else { return nil }
        var names: [String] = []
        for index in 0..<count {
            let start = opsOffset + index * opsStride
            guard start + nameSize <= image.count else { return nil }
            let field = image[start..<start + nameSize]
            guard let nul = field.firstIndex(of: 0), nul > start,
                  field[start..<nul].allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else { return nil }
            names.append(String(decoding: field[start..<nul], as: UTF8.self))
        }
        return names
    }
}

/// How to reorder our own mempool ops table so each index names the same ops
/// as in the primary. The primary resolves `mp->ops_index` of *our* pool in
/// *its* table (DPDK bug 1073); if the indices differ, every copy fails.
public struct MempoolOpsAlignment: Equatable, Sendable {
    public enum Slot: Equatable, Sendable {
        /// Our entry currently at this index moves here.
        case own(Int)
        /// The primary has ops we never registered; we keep its name at this
        /// index so later indices line up. Such ops must never be used here.
        case placeholder(String)
    }

    public let slots: [Slot]
    public let missingLocally: [String]
    public let extraLocally: [String]

    public var isIdentity: Bool {
        slots.enumerated().allSatisfy { $0.element == .own($0.offset) }
    }

    /// Primary order first; our ops unknown to the primary go after it.
    public init(primary: [String], own: [String], capacity: Int) throws {
        var slots: [Slot] = []
        var missing: [String] = []
        for name in primary {
            if let index = own.firstIndex(of: name) {
                slots.append(.own(index))
            } else {
                slots.append(.placeholder(name))
                missing.append(name)
            }
        }
        let extra = own.enumerated().filter { !primary.contains($0.element) }
        slots += extra.map { .own($0.offset) }
        guard slots.count <= capacity else {
            throw ScopeError(.usageOrAttach,
                             "cannot align mempool ops: \(slots.count) distinct ops exceed the table's \(capacity) slots")
        }
        self.slots = slots
        missingLocally = missing
        extraLocally = extra.map(\.element)
    }

    /// The names our table will hold after applying the plan.
    public func resultingNames(own: [String]) -> [String] {
        slots.map {
            switch $0 {
            case .own(let index): own[index]
            case .placeholder(let name): name
            }
        }
    }
}
