import ScopeDecode

/// One PostgreSQL transaction: one statement's result. A simple Query with
/// several statements gives one transaction per statement (each with its
/// own text); in the extended protocol, one per Execute, with the text of
/// the statement its portal was bound to.
public struct PgSQLTransaction: Sendable {
    /// The statement text (passwords after PASSWORD redacted by default).
    public var query: String?
    /// Its first keyword, uppercased.
    public var method: String?
    public var hasRequest: Bool
    public var hasResponse: Bool
    /// Came through the extended protocol (Parse/Bind/Execute).
    public var extended: Bool
    /// Rows the command reports in its CommandComplete tag, else DataRows seen.
    public var numRows: UInt64 = 0
    /// Columns of the RowDescription (0 when the command returns no rows).
    public var numFields: UInt64 = 0
    /// CommandComplete tag ("SELECT 3", "INSERT 0 1").
    public var commandTag: String?
    public var error: PgSQLServerError?

    public init(query: String?, method: String?, hasRequest: Bool, hasResponse: Bool, extended: Bool) {
        self.query = query
        self.method = method
        self.hasRequest = hasRequest
        self.hasResponse = hasResponse
        self.extended = extended
    }
}

extension PgSQLTransaction: TransactionDetail {
    public var isMatched: Bool { hasRequest && hasResponse }

    /// "SELECT 1 -> 1 row", "SELECT 1/0 -> ERROR 22012 division by zero".
    public var summary: String {
        let asked = query.map(Self.oneLine) ?? "?"
        let answered: String
        if let error {
            answered = "\(error.severity ?? "ERROR") \(error.code ?? "?") \(error.message ?? "")"
        } else if hasResponse {
            answered = commandTag ?? "\(numRows) rows"
        } else {
            answered = "?"
        }
        return "\(asked) -> \(answered)"
    }

    /// The query on one line of at most 80 characters (77 and "..."), tabs
    /// and line breaks (CRLF and Unicode ones too) as spaces. Most queries
    /// are short ASCII lines: checked byte by byte, returned as they are.
    static func oneLine(_ query: String) -> String {
        let bytes = query.utf8
        if bytes.count <= 80 && !bytes.contains(where: { $0 < 0x20 || $0 >= 0x80 }) { return query }
        let cut = query.count > 80 ? String(query.prefix(77)) + "..." : query
        var line = ""
        line.reserveCapacity(cut.utf8.count)
        for character in cut { line.append(character.isNewline || character == "\t" ? " " : character) }
        return line
    }

    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        var room = 256 &+ (query?.utf8.count ?? 0) &+ (method?.utf8.count ?? 0)
        if let error { room &+= (error.code?.utf8.count ?? 0) &+ (error.message?.utf8.count ?? 0) &+ (error.severity?.utf8.count ?? 0) }
        json.write(reserving: room &+ room / 4) { appendFields(to: &$0) }
    }

    private func appendFields(to json: inout JSONCursor) {
        json.optional("method", method)
        json.optional("query", query)
        json.beginObject("pgsql")
        if hasResponse {
            json.field("num_rows", numRows)
            json.field("num_fields", numFields)
        }
        if let error {
            json.optional("error_code", error.code)
            json.optional("error_message", error.message)
            json.optional("error_severity", error.severity)
        }
        json.endObject()
    }
}

extension PgSQLTransaction {
    public var methodName: String { method ?? "?" }
    public func resourceName(endpoints: TransactionEndpoints) -> String { query ?? "?" }
    public func outcomeName(status: TransactionStatus) -> String { hasResponse ? status.okOrError : "unanswered" }
}
