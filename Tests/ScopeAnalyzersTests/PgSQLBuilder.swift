@testable import ScopeAnalyzers

/// PostgreSQL v3 messages as bytes, for hand-built conversations.
enum PG {
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        [type.asciiValue ?? 0] + int32(body.count + 4) + body
    }

    static func int32(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func cstr(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    // Frontend
    static func startup(user: String = "alice", database: String = "shop") -> [UInt8] {
        let body = int32(196_608) + cstr("user") + cstr(user) + cstr("database") + cstr(database) + [0]
        return int32(body.count + 4) + body
    }
    static let sslRequest = int32(8) + int32(80_877_103)
    static func password(_ text: String) -> [UInt8] { message("p", cstr(text)) }
    static func query(_ text: String) -> [UInt8] { message("Q", cstr(text)) }
    static func parse(_ text: String, name: String = "") -> [UInt8] { message("P", cstr(name) + cstr(text) + [0, 0]) }
    static func bind(statement: String = "", portal: String = "") -> [UInt8] {
        message("B", cstr(portal) + cstr(statement) + [0, 0, 0, 0, 0, 0])
    }
    static func describePortal(_ name: String = "") -> [UInt8] { message("D", [UInt8(ascii: "P")] + cstr(name)) }
    static func describeStatement(_ name: String) -> [UInt8] { message("D", [UInt8(ascii: "S")] + cstr(name)) }
    static func execute(_ portal: String = "") -> [UInt8] { message("E", cstr(portal) + int32(0)) }
    static func closeStatement(_ name: String) -> [UInt8] { message("C", [UInt8(ascii: "S")] + cstr(name)) }
    static let sync = message("S", [])
    static let terminate = message("X", [])
    static func copyData(_ text: String) -> [UInt8] { message("d", Array(text.utf8)) }
    static let copyDone = message("c", [])

    /// Parse/Bind/Describe/Execute of one unnamed statement (libpq's PQexecParams without the Sync).
    static func extended(_ text: String) -> [UInt8] { parse(text) + bind() + describePortal() + execute() }

    // Backend
    static let authOK = message("R", int32(0))
    static let md5Request = message("R", int32(5) + [1, 2, 3, 4])
    static func parameterStatus(_ name: String, _ value: String) -> [UInt8] { message("S", cstr(name) + cstr(value)) }
    static let backendKey = message("K", int32(4242) + int32(99))
    static func ready(_ status: Character = "I") -> [UInt8] { message("Z", [status.asciiValue ?? 0]) }
    static func rowDescription(_ names: [String]) -> [UInt8] {
        var body: [UInt8] = [0, UInt8(names.count)]
        for name in names { body += cstr(name) + int32(0) + [0, 0] + int32(23) + [0, 4] + int32(-1) + [0, 0] }
        return message("T", body)
    }
    static func dataRow(_ values: [String]) -> [UInt8] {
        var body: [UInt8] = [0, UInt8(values.count)]
        for value in values { body += int32(value.utf8.count) + Array(value.utf8) }
        return message("D", body)
    }
    static func complete(_ tag: String) -> [UInt8] { message("C", cstr(tag)) }
    static func error(_ code: String, _ text: String, severity: String = "ERROR") -> [UInt8] {
        message("E", [UInt8(ascii: "S")] + cstr(severity) + [UInt8(ascii: "V")] + cstr(severity)
                + [UInt8(ascii: "C")] + cstr(code) + [UInt8(ascii: "M")] + cstr(text) + [0])
    }
    static func notice(_ text: String) -> [UInt8] {
        message("N", [UInt8(ascii: "S")] + cstr("NOTICE") + [UInt8(ascii: "C")] + cstr("00000")
                + [UInt8(ascii: "M")] + cstr(text) + [0])
    }
    static func notification(_ channel: String, _ payload: String) -> [UInt8] {
        message("A", int32(77) + cstr(channel) + cstr(payload))
    }
    static let parseComplete = message("1", [])
    static let bindComplete = message("2", [])
    static let closeComplete = message("3", [])
    static let noData = message("n", [])
    static let emptyQuery = message("I", [])
    static let parameterDescription = message("t", [0, 0])
    static let copyInResponse = message("G", [0, 0, 1, 0, 0])
    static let copyOutResponse = message("H", [0, 0, 1, 0, 0])

    /// A server's login answer: md5 challenge first, then (after the password) OK and the chatter.
    static let loginDone = authOK + parameterStatus("server_version", "15.8") + backendKey + ready()

    /// The rows of a one-column SELECT and its completion.
    static func rows(_ values: [String], column: String = "x") -> [UInt8] {
        rowDescription([column]) + values.flatMap { dataRow([$0]) } + complete("SELECT \(values.count)")
    }
}

extension TransactionEvent {
    var pgsql: PgSQLTransaction? {
        if let pgsql = details as? PgSQLTransaction { return pgsql }
        return nil
    }
}
