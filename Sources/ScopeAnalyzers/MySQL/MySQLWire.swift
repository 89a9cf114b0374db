/// Bounds-checked little-endian reading of one MySQL payload. Every read
/// returns nil past the end instead of trapping: payloads come off the wire.
struct MySQLReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, from offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(max(0, offset), bytes.count)
    }

    var remaining: Int { bytes.count &- offset }
    var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[offset...]) }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        offset &+= count
        return true
    }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset &+= 1 }
        return bytes[offset]
    }

    /// A fixed-width little-endian integer of `width` bytes (1...8).
    mutating func fixed(_ width: Int) -> UInt64? {
        guard width > 0, width <= 8, remaining >= width else { return nil }
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(bytes[offset &+ index]) << (8 &* UInt64(index)) }
        offset &+= width
        return value
    }

    mutating func u16() -> UInt16? { fixed(2).map { UInt16(truncatingIfNeeded: $0) } }
    mutating func u32() -> UInt32? { fixed(4).map { UInt32(truncatingIfNeeded: $0) } }

    /// Length-encoded integer; 0xFB (NULL) and 0xFF are not integers.
    mutating func lengthEncoded() -> UInt64? {
        guard let first = u8() else { return nil }
        switch first {
        case 0..<0xFB: return UInt64(first)
        case 0xFC: return fixed(2)
        case 0xFD: return fixed(3)
        case 0xFE: return fixed(8)
        default: return nil
        }
    }

    /// Length-encoded string (nil when truncated or NULL).
    mutating func lengthEncodedBytes() -> UnsafeRawBufferPointer? {
        guard let length = lengthEncoded(), length <= UInt64(remaining) else { return nil }
        return take(Int(length))
    }

    mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset &+= count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ count)])
    }

    /// Up to the next NUL (consumed, not returned); nil when there is none.
    mutating func nulTerminated() -> UnsafeRawBufferPointer? {
        var end = offset
        while end < bytes.count && bytes[end] != 0 { end &+= 1 }
        guard end < bytes.count else { return nil }
        defer { offset = end &+ 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }
}

extension String {
    /// Wire text, at most `limit` bytes of it (invalid UTF-8 is replaced).
    init(mysql bytes: UnsafeRawBufferPointer, limit: Int = .max) {
        self = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<Swift.min(bytes.count, Swift.max(0, limit))]), as: UTF8.self)
    }
}

/// Capability and status bits the analyzer looks at.
enum MySQLFlags {
    static let clientProtocol41: UInt32 = 0x0000_0200
    static let clientSSL: UInt32 = 0x0000_0800
    static let clientConnectWithDB: UInt32 = 0x0000_0008
    static let clientPluginAuth: UInt32 = 0x0008_0000
    static let clientDeprecateEOF: UInt32 = 0x0100_0000
    static let serverMoreResultsExist: UInt16 = 0x0008
    static let serverCursorExists: UInt16 = 0x0040
}

/// The command byte that starts every client request (`COM_*`).
struct MySQLCommand: RawRepresentable, Equatable, Sendable {
    var rawValue: UInt8

    static let quit = MySQLCommand(rawValue: 0x01)
    static let initDB = MySQLCommand(rawValue: 0x02)
    static let query = MySQLCommand(rawValue: 0x03)
    static let fieldList = MySQLCommand(rawValue: 0x04)
    static let statistics = MySQLCommand(rawValue: 0x09)
    static let changeUser = MySQLCommand(rawValue: 0x11)
    static let binlogDump = MySQLCommand(rawValue: 0x12)
    static let tableDump = MySQLCommand(rawValue: 0x13)
    static let stmtPrepare = MySQLCommand(rawValue: 0x16)
    static let stmtExecute = MySQLCommand(rawValue: 0x17)
    static let stmtSendLongData = MySQLCommand(rawValue: 0x18)
    static let stmtClose = MySQLCommand(rawValue: 0x19)
    static let stmtFetch = MySQLCommand(rawValue: 0x1C)
    static let binlogDumpGTID = MySQLCommand(rawValue: 0x1E)
    static let resetConnection = MySQLCommand(rawValue: 0x1F)
    static let stmtBulkExecute = MySQLCommand(rawValue: 0xFA)  // MariaDB

    private static let names = [
        "SLEEP", "QUIT", "INIT_DB", "QUERY", "FIELD_LIST", "CREATE_DB", "DROP_DB", "REFRESH", "SHUTDOWN",
        "STATISTICS", "PROCESS_INFO", "CONNECT", "PROCESS_KILL", "DEBUG", "PING", "TIME", "DELAYED_INSERT",
        "CHANGE_USER", "BINLOG_DUMP", "TABLE_DUMP", "CONNECT_OUT", "REGISTER_SLAVE", "STMT_PREPARE",
        "STMT_EXECUTE", "STMT_SEND_LONG_DATA", "STMT_CLOSE", "STMT_RESET", "SET_OPTION", "STMT_FETCH",
        "DAEMON", "BINLOG_DUMP_GTID", "RESET_CONNECTION",
    ]

    /// Known to some server: a byte that can start a request.
    var isKnown: Bool { Int(rawValue) < Self.names.count || self == .stmtBulkExecute }

    /// "PING", "STMT_CLOSE", ... (the `COM_` prefix dropped).
    var name: String {
        if Int(rawValue) < Self.names.count { return Self.names[Int(rawValue)] }
        return self == .stmtBulkExecute ? "STMT_BULK_EXECUTE" : "COMMAND_\(rawValue)"
    }

    /// The server sends nothing back: the exchange is complete when sent.
    var hasNoResponse: Bool { self == .quit || self == .stmtClose || self == .stmtSendLongData }

    /// The answer is an open-ended stream the analyzer does not follow.
    var startsStream: Bool { self == .binlogDump || self == .binlogDumpGTID || self == .tableDump }
}
