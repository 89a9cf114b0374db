@testable import ScopeAnalyzers

/// Hand-built MySQL packets for the tests (sequence ids as a server and
/// client would number them).
enum MySQLBuild {
    static let deprecateEOF: UInt32 = 0x0100_0000
    static let baseCapabilities: UInt32 = 0x0000_0200 | 0x0000_8000 | 0x0008_0000 | 0x0001_0000 | 0x0002_0000

    static func packet(_ sequence: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), sequence] + payload
    }

    static func lenenc(_ value: UInt64) -> [UInt8] {
        switch value {
        case 0..<0xFB: [UInt8(value)]
        case 0..<0x1_0000: [0xFC] + le(value, 2)
        case 0..<0x100_0000: [0xFD] + le(value, 3)
        default: [0xFE] + le(value, 8)
        }
    }

    static func lenencString(_ text: String) -> [UInt8] { lenenc(UInt64(text.utf8.count)) + Array(text.utf8) }

    static func le(_ value: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }

    static func greeting(capabilities: UInt32 = baseCapabilities, version: String = "10.11.19-MariaDB") -> [UInt8] {
        var payload: [UInt8] = [10] + Array(version.utf8) + [0] + le(42, 4) + Array(repeating: 0x61, count: 8) + [0]
        payload += le(UInt64(capabilities & 0xFFFF), 2) + [33] + le(2, 2) + le(UInt64(capabilities >> 16), 2) + [21]
        payload += Array(repeating: 0, count: 10) + Array(repeating: 0x62, count: 12) + [0] + Array("mysql_native_password".utf8) + [0]
        return packet(0, payload)
    }

    static func login(user: String = "app", secret: [UInt8] = Array("SECRET-TOKEN-BYTES!!".utf8),
                      capabilities: UInt32 = baseCapabilities) -> [UInt8] {
        var payload = le(UInt64(capabilities), 4) + le(1 << 24, 4) + [33] + Array(repeating: 0, count: 23)
        payload += Array(user.utf8) + [0] + [UInt8(secret.count)] + secret + Array("mysql_native_password".utf8) + [0]
        return packet(1, payload)
    }

    static func sslRequest(capabilities: UInt32 = baseCapabilities | 0x800) -> [UInt8] {
        packet(1, le(UInt64(capabilities), 4) + le(1 << 24, 4) + [33] + Array(repeating: 0, count: 23))
    }

    static func ok(_ sequence: UInt8 = 1, affected: UInt64 = 0, insertID: UInt64 = 0, status: UInt16 = 2,
                   header: UInt8 = 0x00) -> [UInt8] {
        packet(sequence, [header] + lenenc(affected) + lenenc(insertID) + le(UInt64(status), 2) + [0, 0])
    }

    static func err(_ sequence: UInt8 = 1, code: UInt16, state: String = "42S02", message: String) -> [UInt8] {
        packet(sequence, [0xFF] + le(UInt64(code), 2) + Array("#\(state)\(message)".utf8))
    }

    static func eof(_ sequence: UInt8, status: UInt16 = 2) -> [UInt8] { packet(sequence, [0xFE, 0, 0] + le(UInt64(status), 2)) }

    static func command(_ code: UInt8, _ body: [UInt8] = []) -> [UInt8] { packet(0, [code] + body) }
    static func query(_ text: String) -> [UInt8] { command(3, Array(text.utf8)) }

    static func column(_ sequence: UInt8, _ name: String, table: String = "t", schema: String = "db") -> [UInt8] {
        packet(sequence, lenencString("def") + lenencString(schema) + lenencString(table) + lenencString(table)
               + lenencString(name) + lenencString(name) + [0x0C, 33, 0, 11, 0, 0, 0, 3, 0, 0, 0, 0])
    }

    /// Column count, definitions, [EOF], text rows, then EOF or (DEPRECATE_EOF) an OK with 0xFE.
    static func resultSet(_ columns: [String], _ rows: [[String]], firstSequence: UInt8 = 1, deprecateEOF: Bool = false,
                          more: Bool = false) -> [UInt8] {
        var sequence = firstSequence
        func next() -> UInt8 { defer { sequence &+= 1 }; return sequence }
        var bytes = packet(next(), lenenc(UInt64(columns.count)))
        for name in columns { bytes += column(next(), name) }
        if !deprecateEOF { bytes += eof(next()) }
        for row in rows { bytes += packet(next(), row.flatMap { lenencString($0) }) }
        let status: UInt16 = more ? 0x000A : 0x0002
        bytes += deprecateEOF ? ok(next(), status: status, header: 0xFE) : eof(next(), status: status)
        return bytes
    }

    static func prepareOK(_ sequence: UInt8 = 1, statement: UInt32, columns: Int, params: Int, deprecateEOF: Bool = false) -> [UInt8] {
        var bytes = packet(sequence, [0] + le(UInt64(statement), 4) + le(UInt64(columns), 2) + le(UInt64(params), 2) + [0, 0, 0])
        var next = sequence &+ 1
        for index in 0..<params { bytes += column(next, "?\(index)"); next &+= 1 }
        if params > 0 && !deprecateEOF { bytes += eof(next); next &+= 1 }
        for index in 0..<columns { bytes += column(next, "c\(index)"); next &+= 1 }
        if columns > 0 && !deprecateEOF { bytes += eof(next) }
        return bytes
    }

    enum Value {
        case int(Int64), string(String), double(Double), null, date(UInt16, UInt8, UInt8), unsignedTiny(UInt8)
        case time(negative: Bool, days: UInt32, hour: UInt8, minute: UInt8, second: UInt8)
    }

    static func execute(_ statement: UInt32, _ values: [Value], bind: Bool = true) -> [UInt8] {
        var body = le(UInt64(statement), 4) + [0] + le(1, 4)
        guard !values.isEmpty else { return command(0x17, body) }
        var bitmap = [UInt8](repeating: 0, count: (values.count + 7) / 8)
        var types: [UInt8] = [], data: [UInt8] = []
        for (index, value) in values.enumerated() {
            switch value {
            case .int(let v): types += [8, 0]; data += le(UInt64(bitPattern: v), 8)
            case .string(let s): types += [253, 0]; data += lenencString(s)
            case .double(let d): types += [5, 0]; data += le(d.bitPattern, 8)
            case .null: types += [6, 0]; bitmap[index / 8] |= 1 << UInt8(index % 8)
            case .date(let y, let m, let d): types += [10, 0]; data += [4] + le(UInt64(y), 2) + [m, d]
            case .unsignedTiny(let v): types += [1, 0x80]; data += [v]
            case .time(let negative, let days, let hour, let minute, let second):
                types += [11, 0]; data += [8, negative ? 1 : 0] + le(UInt64(days), 4) + [hour, minute, second]
            }
        }
        body += bitmap + (bind ? [1] + types : [0]) + data
        return command(0x17, body)
    }

    /// Greeting, log-in and its OK: the start of every connection.
    static func handshake(capabilities: UInt32 = baseCapabilities) -> [Conversation.Step] {
        [.server(greeting(capabilities: capabilities), at: 1), .client(login(capabilities: capabilities), at: 2),
         .server(ok(2), at: 3)]
    }
}

extension Conversation {
    func runMySQL(configuration: AnalyzerConfiguration = AnalyzerConfiguration(),
                  chunk: @escaping ([UInt8]) -> [[UInt8]] = { [$0] }) -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        run(.mysql, configuration: configuration, chunk: chunk)
    }
}

extension [TransactionEvent] {
    var summaries: [String] { compactMap { $0.mysql?.summary } }
}
