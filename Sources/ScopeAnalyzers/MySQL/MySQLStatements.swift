/// A statement prepared on the connection: what its executes need to be
/// reported (the text) and decoded (parameter count and bound types).
struct MySQLStatement: Sendable {
    var query: String
    var paramCount: Int
    /// Type and flags of each parameter, as the last execute that bound
    /// them sent (later executes may reuse them without resending).
    var types: [UInt16] = []
    /// Parameters whose value came in COM_STMT_SEND_LONG_DATA, not in the execute.
    var longData: Set<Int> = []
}

/// The statements of one connection, at most `capacity` of them: the
/// oldest is forgotten first (its executes are then reported without text).
struct MySQLStatements {
    let capacity: Int
    private var table: [UInt32: MySQLStatement] = [:]
    private var order: [UInt32] = []
    private(set) var lastPrepared: UInt32?
    private(set) var forgotten: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { table.count }

    subscript(id: UInt32) -> MySQLStatement? {
        get { table[id] }
        set {
            guard let newValue else {
                table[id] = nil
                return
            }
            if table.updateValue(newValue, forKey: id) == nil { order.append(id) }
            while table.count > capacity, !order.isEmpty {
                if table.removeValue(forKey: order.removeFirst()) != nil { forgotten &+= 1 }
            }
            // Closed statements leave stale ids in `order`; compact it now and then.
            if order.count > capacity &* 2 { order.removeAll { table[$0] == nil } }
        }
    }

    mutating func prepared(_ id: UInt32, _ statement: MySQLStatement) {
        self[id] = statement
        lastPrepared = id
    }

    /// COM_CHANGE_USER and COM_RESET_CONNECTION drop every statement.
    mutating func removeAll() {
        table.removeAll()
        order.removeAll()
        lastPrepared = nil
    }
}
