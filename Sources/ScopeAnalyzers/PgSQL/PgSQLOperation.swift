/// A client message the server answers in order: the unit the FIFO pairs.
/// The server answers every Parse, Bind, Describe, Execute, Close and Sync
/// (and every simple Query / FunctionCall) in the order they were sent,
/// except that after an ErrorResponse it skips everything up to the next
/// Sync; ReadyForQuery answers that Sync (or the Query).
struct PgSQLOperation {
    enum Kind: Equatable {
        case query, functionCall, parse, bind, describe, execute, close, sync

        /// Kinds that become transactions (the others only keep pairing in step).
        var isTransaction: Bool { self == .query || self == .functionCall || self == .execute }
        /// Kinds whose answer ends with ReadyForQuery.
        var endsWithReady: Bool { self == .query || self == .functionCall || self == .sync }
    }

    var kind: Kind
    /// Query: the whole text; Parse: the statement's text; Execute: the text
    /// of the statement its portal was bound to (nil when unknown).
    var text: String?
    /// First byte of the request (for Execute: of the Parse/Bind/Describe before it).
    var start: UInt64
    var end: UInt64
    /// Wire bytes (for Execute: with the Parse/Bind/Describe before it).
    var bytes: UInt64
    var notes: [String] = []
}

/// The result being received: rows and fields so far, and where it began.
struct PgSQLResultState {
    var start: UInt64
    var end: UInt64
    var bytes: UInt64 = 0
    var rows: UInt64 = 0
    var fields: UInt64 = 0
    var notes: [String] = []
}

/// A request whose results are arriving. A simple Query (and a
/// FunctionCall) stays active until ReadyForQuery, as it may give several
/// results; an Execute ends with its CommandComplete.
struct PgSQLActiveRequest {
    /// nil for results nobody asked for (mid-stream start, lost request).
    var request: PgSQLOperation?
    /// A simple Query's statements, in order; result n answers statement n.
    var statements: [String] = []
    var resultsDone = 0
    var result: PgSQLResultState?

    var staysUntilReady: Bool { request?.kind == .query || request?.kind == .functionCall }

    /// The statement text for the result in progress.
    var currentStatement: String? {
        guard let request else { return nil }
        if request.kind == .query && resultsDone < statements.count { return statements[resultsDone] }
        return request.text
    }
}

/// Prepared statements (or portals) by name, with their text. Bounded in
/// names (the unnamed one always has its slot) and in text bytes: past the
/// budget a name is kept without its text ("statement text unknown" later),
/// so a client preparing huge statements cannot grow memory without end.
struct PgSQLNames {
    let maxNames: Int
    let maxTextBytes: Int
    /// The unnamed statement or portal, the one most clients use, outside
    /// the dictionary (no hashing per message): nil when absent, `.some(nil)`
    /// when present without its text.
    private var unnamed: String??
    private var named: [String: String?] = [:]
    private(set) var textBytes = 0

    init(maxNames: Int, maxTextBytes: Int) {
        self.maxNames = maxNames
        self.maxTextBytes = maxTextBytes
    }

    var count: Int { named.count &+ (unnamed == nil ? 0 : 1) }

    /// The text for `name`: nil when unknown (never seen, or not kept).
    func text(_ name: String) -> String? { name.isEmpty ? unnamed ?? nil : named[name] ?? nil }

    mutating func set(_ name: String, _ text: String?) {
        remove(name)
        guard name.isEmpty || count < maxNames else { return }
        let size = text?.utf8.count ?? 0
        var kept: String?
        if let text, textBytes &+ size <= maxTextBytes {
            kept = text
            textBytes &+= size
        }
        if name.isEmpty { unnamed = .some(kept) } else { named[name] = .some(kept) }
    }

    mutating func remove(_ name: String) {
        let old = name.isEmpty ? unnamed.take() : named.removeValue(forKey: name)
        guard let old else { return }
        textBytes &-= old?.utf8.count ?? 0
    }
}
