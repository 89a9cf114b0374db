/// One client command, as the event needs it: never the auth payload.
struct MySQLRequest: Sendable {
    var command: MySQLCommand
    /// First keyword of the statement (SELECT, INSERT, ...) or the command name.
    var method: String
    /// Statement text (COM_QUERY, prepare, execute of a known statement) or
    /// the command name with its argument ("INIT_DB shop", "STMT_CLOSE 3").
    var query: String
    var statementID: UInt32?
    /// Bound values of an execute, as text (capped).
    var params: [String]?
    /// Log-in attempts only.
    var user: String?
    var start: UInt64
    var end: UInt64
    var bytes: UInt64
    var notes: [String] = []

    /// Values and texts longer than this are cut (Packetbeat's max_row_length).
    static let maxValueBytes = 1024
    static let maxParams = 64

    /// Parses a command payload (starting with its command byte). Prepared
    /// statements are looked up (execute, close) and updated (types bound
    /// by an execute, long data) in `statements`.
    init(payload: UnsafeRawBufferPointer, frame: MySQLFramer.Frame, end: UInt64, queryLimit: Int,
         statements: inout MySQLStatements) {
        var reader = MySQLReader(payload)
        command = MySQLCommand(rawValue: reader.u8() ?? 0)
        method = command.name
        query = command.name
        start = frame.start
        self.end = end
        bytes = UInt64(frame.wireBytes)
        if frame.truncated { notes.append("request of \(frame.length) bytes truncated to \(payload.count)") }
        switch command {
        case .query, .stmtPrepare:
            // Blanks around the statement are dropped (as Packetbeat does), and
            // the C string's NUL some clients (mysqlslap) send along with it.
            var text = reader.rest
            func isBlank(_ byte: UInt8?) -> Bool { byte == 0 || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
            while isBlank(text.last) { text = UnsafeRawBufferPointer(rebasing: text.dropLast()) }
            while isBlank(text.first) { text = UnsafeRawBufferPointer(rebasing: text.dropFirst()) }
            let query = String(mysql: text, limit: queryLimit)
            self.query = query
            method = command == .query ? Self.keyword(query) ?? command.name : "PREPARE"
        case .initDB, .fieldList:
            let argument = command == .initDB ? reader.rest : (reader.nulTerminated() ?? reader.rest)
            query = "\(command.name) \(String(mysql: argument, limit: Self.maxValueBytes))"
        case .stmtExecute, .stmtBulkExecute, .stmtClose, .stmtSendLongData, .stmtFetch, MySQLCommand(rawValue: 0x1A):
            guard let raw = reader.u32() else {
                notes.append("\(command.name) without a statement id")
                break
            }
            // MariaDB: -1 means "the statement prepared last" (pipelined prepare + execute).
            let id = raw == UInt32.max ? (statements.lastPrepared ?? raw) : raw
            statementID = id
            query = "\(command.name) \(id)"
            guard var statement = statements[id] else {
                if command == .stmtExecute { notes.append("statement \(id) was prepared before the capture") }
                break
            }
            if command == .stmtExecute {
                query = statement.query
                method = Self.keyword(statement.query) ?? command.name
                switch MySQLParams.decode(&reader, statement: &statement, limit: Self.maxParams,
                                          valueLimit: Self.maxValueBytes) {
                case .decoded(let values): params = values
                case .failed(let why): notes.append("parameters not decoded: \(why)")
                }
                statements[id] = statement
            } else if command == .stmtSendLongData, let param = reader.u16() {
                statement.longData.insert(Int(param))
                statements[id] = statement
            } else if command == .stmtClose {
                statements[id] = nil
            }
        default:
            break
        }
    }

    /// The first keyword of a statement, upper-cased, after leading blanks,
    /// comments and parentheses ("(SELECT ...)", "/* hint */ SELECT").
    static func keyword(_ text: String) -> String? {
        var utf8 = Substring(text).utf8[...]
        while let first = utf8.first {
            if first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D || first == UInt8(ascii: "(") {
                utf8 = utf8.dropFirst()
            } else if utf8.starts(with: "/*".utf8) {
                guard let close = utf8.indices.first(where: { utf8[$0...].starts(with: "*/".utf8) }) else { return nil }
                utf8 = utf8[close...].dropFirst(2)
            } else if utf8.starts(with: "-- ".utf8) || first == UInt8(ascii: "#") {
                utf8 = utf8.drop { $0 != 0x0A }
            } else {
                break
            }
        }
        let word = utf8.prefix { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || $0 == UInt8(ascii: "_") }
        return word.isEmpty ? nil : String(decoding: word, as: UTF8.self).uppercased()
    }
}

/// What the server answered, summed over every result of a multi-statement
/// or multi-result response (one transaction per command).
struct MySQLResponse: Sendable {
    var start: UInt64
    var end: UInt64
    var bytes: UInt64 = 0
    var isError = false
    var errorCode: UInt16?
    var sqlState: String?
    var errorMessage: String?
    var affectedRows: UInt64 = 0
    var insertID: UInt64 = 0
    var numRows: UInt64 = 0
    /// Columns of the first result set (or of a prepared statement's result).
    var numFields: UInt64 = 0
    var resultSets = 0
    /// "schema.table" of the first column, when it names one.
    var path: String?
    /// Prepare OK: the new statement and its parameter count.
    var statementID: UInt32?
    var paramCount = 0
    var complete = true
    var notes: [String] = []

    init(start: UInt64) {
        self.start = start
        end = start
    }
}

extension MySQLRequest {
    /// A log-in attempt (handshake response): only the user name is kept.
    init(login user: String?, frame: MySQLFramer.Frame, end: UInt64) {
        command = MySQLCommand(rawValue: 0x0B)  // COM_CONNECT, the server's own name for it
        method = "LOGIN"
        query = user.map { "LOGIN \($0)" } ?? "LOGIN"
        self.user = user
        start = frame.start
        self.end = end
        bytes = UInt64(frame.wireBytes)
    }
}
