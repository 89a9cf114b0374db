/// Content detection for PostgreSQL from the first bytes of a direction.
/// Strict on purpose (it runs over every enabled protocol on unconfigured
/// ports): the client's untyped startup-phase request (length + a known
/// code), the server's Authentication request (`R`, length 8–4096, a known
/// method), or, mid-stream, a simple Query whose text starts like SQL or a
/// ReadyForQuery.
enum PgSQLDetection {
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard let first = bytes.first else { return .needMore }
        switch first {
        case 0: return startup(bytes)
        case PgSQLType.authentication: return authentication(bytes)
        case PgSQLType.query: return query(bytes)
        case PgSQLType.readyForQuery: return readyForQuery(bytes)
        default: return .no
        }
    }

    /// SSLRequest, GSSENCRequest, CancelRequest or a 3.x StartupMessage.
    private static func startup(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard bytes.count >= 8 else { return prefixFits(bytes, [0, 0]) ? .needMore : .no }
        let length = Int(PgSQLType.uint32(bytes, at: 0))
        let code = PgSQLType.uint32(bytes, at: 4)
        guard PgSQLType.isStartupCode(code, length: length) else { return .no }
        if code >> 16 == 3 && bytes.count > 8 {
            // Parameters are NUL-terminated names: the first byte is a letter ("user").
            let next = bytes[8] | 0x20
            guard next >= UInt8(ascii: "a") && next <= UInt8(ascii: "z") || bytes[8] == 0x5F else { return .no }
        }
        return .fromClient
    }

    /// AuthenticationOk/CleartextPassword/MD5/SASL...: `R`, length, method.
    private static func authentication(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard bytes.count >= 9 else { return prefixFits(bytes, [PgSQLType.authentication, 0, 0]) ? .needMore : .no }
        let length = Int(PgSQLType.uint32(bytes, at: 1))
        let method = PgSQLType.uint32(bytes, at: 5)
        let fits = switch method {
        case 0, 2, 3, 6, 7, 9: length == 8
        case 5: length == 12  // MD5 with its 4-byte salt
        case 8, 10, 11, 12: length > 8 && length <= 4096  // GSS/SSPI/SASL data
        default: false
        }
        return fits ? .fromServer : .no
    }

    /// Mid-stream: `Q`, a length under 64 KiB, then SQL text (a letter,
    /// blank or parenthesis first, printable bytes after).
    private static func query(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard bytes.count >= 8 else { return prefixFits(bytes, [PgSQLType.query, 0, 0]) ? .needMore : .no }
        let length = Int(PgSQLType.uint32(bytes, at: 1))
        guard length >= 6 && length <= 0xFFFF else { return .no }
        let first = bytes[5] | 0x20
        guard first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z") || bytes[5] == UInt8(ascii: "(")
                || bytes[5] == 0x20 || bytes[5] == 0x0A else { return .no }
        let textEnd = min(bytes.count, length &+ 1)
        for index in 5..<textEnd {
            let byte = bytes[index]
            if index == length { return byte == 0 ? .fromClient : .no }  // the terminating NUL
            if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D { return .no }
        }
        return .fromClient
    }

    /// `Z 00 00 00 05` and a transaction status.
    private static func readyForQuery(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        let pattern: [UInt8] = [PgSQLType.readyForQuery, 0, 0, 0, 5]
        guard bytes.count >= 6 else { return prefixFits(bytes, pattern) ? .needMore : .no }
        guard prefixFits(bytes, pattern) else { return .no }
        let status = bytes[5]
        return status == UInt8(ascii: "I") || status == UInt8(ascii: "T") || status == UInt8(ascii: "E") ? .fromServer : .no
    }

    /// Every byte present equals the pattern's (the pattern may be shorter).
    private static func prefixFits(_ bytes: UnsafeRawBufferPointer, _ pattern: [UInt8]) -> Bool {
        for (index, byte) in pattern.enumerated() where index < bytes.count && bytes[index] != byte { return false }
        return true
    }
}
