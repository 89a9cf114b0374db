/// The connection phase's packets (greeting, handshake response) and the
/// generic ones every response uses (OK, ERR, column definition).
enum MySQLPackets {
    struct Greeting: Equatable {
        var version: String
        var capabilities: UInt32
    }

    struct Login: Equatable {
        var capabilities: UInt32
        var user: String?
        /// SSLRequest: the handshake response cut short; TLS follows.
        var startsTLS: Bool
    }

    /// Initial handshake, protocol version 10.
    static func greeting(_ payload: UnsafeRawBufferPointer) -> Greeting? {
        var reader = MySQLReader(payload)
        guard reader.u8() == 10, let version = reader.nulTerminated(), !version.isEmpty,
              version.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), reader.skip(4 + 8 + 1), let low = reader.u16()
        else { return nil }
        var capabilities = UInt32(low)
        if reader.skip(1 + 2), let high = reader.u16() { capabilities |= UInt32(high) << 16 }
        return Greeting(version: String(mysql: version), capabilities: capabilities)
    }

    /// HandshakeResponse41 (or the old 320 form). The auth response after
    /// the user name is skipped, never kept.
    static func login(_ payload: UnsafeRawBufferPointer) -> Login? {
        var reader = MySQLReader(payload)
        guard let low = reader.u16() else { return nil }
        if UInt32(low) & MySQLFlags.clientProtocol41 == 0 {
            guard reader.skip(3) else { return nil }
            let user = reader.nulTerminated().map { String(mysql: $0, limit: 256) }
            return Login(capabilities: UInt32(low), user: user, startsTLS: false)
        }
        guard let high = reader.u16(), reader.skip(4 + 1 + 23) else { return nil }
        let capabilities = UInt32(low) | UInt32(high) << 16
        let tls = capabilities & MySQLFlags.clientSSL != 0 && reader.remaining == 0
        let user = tls ? nil : reader.nulTerminated().map { String(mysql: $0, limit: 256) }
        return Login(capabilities: capabilities, user: user, startsTLS: tls)
    }

    /// OK packet (header 0x00, or 0xFE ending rows): adds its counts to
    /// `response` and returns its status flags.
    @discardableResult
    static func ok(_ payload: UnsafeRawBufferPointer, into response: inout MySQLResponse) -> UInt16 {
        var reader = MySQLReader(payload, from: 1)
        response.affectedRows &+= reader.lengthEncoded() ?? 0
        if let id = reader.lengthEncoded(), id != 0 { response.insertID = id }
        return reader.u16() ?? 0
    }

    /// ERR packet: code, "#" and SQL state (protocol 4.1), message.
    static func error(_ payload: UnsafeRawBufferPointer, into response: inout MySQLResponse) {
        var reader = MySQLReader(payload, from: 1)
        response.isError = true
        response.errorCode = reader.u16()
        if reader.remaining >= 6, reader.bytes[reader.offset] == UInt8(ascii: "#") {
            _ = reader.skip(1)
            response.sqlState = reader.take(5).map { String(mysql: $0) }
        }
        response.errorMessage = String(mysql: reader.rest, limit: MySQLRequest.maxValueBytes)
    }

    /// MariaDB's progress report travels as an ERR with code 0xFFFF.
    static func isProgress(_ payload: UnsafeRawBufferPointer) -> Bool {
        payload.count >= 3 && payload[0] == 0xFF && payload[1] == 0xFF && payload[2] == 0xFF
    }

    /// "schema.table" from a column definition (catalog, schema, table...).
    static func path(_ payload: UnsafeRawBufferPointer) -> String? {
        var reader = MySQLReader(payload)
        guard reader.lengthEncodedBytes() != nil, let schema = reader.lengthEncodedBytes(),
              let table = reader.lengthEncodedBytes(), !table.isEmpty else { return nil }
        return schema.isEmpty ? String(mysql: table, limit: 256)
            : "\(String(mysql: schema, limit: 256)).\(String(mysql: table, limit: 256))"
    }
}

extension MySQLResponseParser {
    static func ok(_ payload: UnsafeRawBufferPointer, into response: inout MySQLResponse) -> UInt16 {
        MySQLPackets.ok(payload, into: &response)
    }

    static func error(_ payload: UnsafeRawBufferPointer, into response: inout MySQLResponse) {
        MySQLPackets.error(payload, into: &response)
    }

    static func isProgress(_ payload: UnsafeRawBufferPointer) -> Bool { MySQLPackets.isProgress(payload) }
    static func path(_ payload: UnsafeRawBufferPointer) -> String? { MySQLPackets.path(payload) }
}
