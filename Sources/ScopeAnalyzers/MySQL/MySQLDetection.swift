/// Content detection for MySQL from the first bytes of a direction. The
/// server speaks first: a v10 greeting (sequence 0, byte 10, a version such
/// as "8.0." or "5.5.5-10.11"). Mid-connection, a client COM_QUERY or
/// COM_STMT_PREPARE whose text starts with an SQL keyword. Both are binary
/// shapes no text protocol (HTTP, Redis, memcache) can start with.
enum MySQLDetection {
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        switch greeting(bytes) {
        case .no: return clientQuery(bytes)
        case let answer: return answer
        }
    }

    /// "len len len 00 0a d[d].d": a greeting packet of a plausible size.
    static func greeting(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        let pattern: [(UInt8) -> Bool] = [
            { $0 >= 20 }, { _ in true }, { $0 == 0 }, { $0 == 0 }, { $0 == 10 }, isDigit,
        ]
        for (index, check) in pattern.enumerated() {
            guard index < bytes.count else { return .needMore }
            guard check(bytes[index]) else { return .no }
        }
        // The major version's digits, then a dot and a digit.
        var index = 6
        while index < bytes.count && index < 8 && isDigit(bytes[index]) { index &+= 1 }
        guard index &+ 1 < bytes.count else { return .needMore }
        return bytes[index] == UInt8(ascii: ".") && isDigit(bytes[index &+ 1]) ? .fromServer : .no
    }

    static let keywords = ["SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "SET", "SHOW", "USE", "BEGIN",
                           "COMMIT", "ROLLBACK", "START", "CREATE", "DROP", "ALTER", "CALL", "DESCRIBE", "EXPLAIN",
                           "WITH", "TRUNCATE", "LOCK", "UNLOCK", "GRANT", "FLUSH", "PREPARE", "EXECUTE", "DO"]

    /// "len len len 00 03 SELECT ": sequence 0, COM_QUERY (or prepare), a
    /// keyword followed by a blank.
    static func clientQuery(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard bytes.count >= 5 else {
            let head: [(UInt8) -> Bool] = [{ _ in true }, { _ in true }, { $0 < 0x10 }, { $0 == 0 }, { $0 == 3 || $0 == 0x16 }]
            for index in 0..<bytes.count where !head[index](bytes[index]) { return .no }
            return bytes.count < 5 ? .needMore : .no
        }
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        guard bytes[3] == 0, bytes[4] == 3 || bytes[4] == 0x16, length >= 4, length < 1 << 20 else { return .no }
        var word: [UInt8] = []
        for index in 5..<bytes.count {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D {
                guard !word.isEmpty else { return .no }
                return keywords.contains(String(decoding: word, as: UTF8.self).uppercased()) ? .fromClient : .no
            }
            guard (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A, word.count < 8 else { return .no }
            word.append(byte)
        }
        // Still inside the word: wait while it is a prefix of some keyword.
        let prefix = String(decoding: word, as: UTF8.self).uppercased()
        return keywords.contains { $0.hasPrefix(prefix) } ? .needMore : .no
    }

    /// After a gap: does this delivery start with a packet header that
    /// begins a message (a command from the client, the first packet of a
    /// response from the server)? A resynchronisation guess, so strict.
    /// At the connection's start, the greeting and the handshake response
    /// (sequence 0 from the server, 1 from the client) are message starts too.
    static func startsPacket(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, connectionStart: Bool = false) -> Bool {
        guard bytes.count >= 5 else { return false }
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        let sequence = bytes[3], first = bytes[4]
        if fromClient {
            if connectionStart && sequence == 1 && length >= 32 && length < 1 << 16 { return true }
            return sequence == 0 && length >= 1
                && MySQLCommand(rawValue: first).isKnown
        }
        if connectionStart && sequence == 0 && first == 10 && length >= 20 && length < 1 << 16 { return true }
        guard sequence == 1 else { return false }
        switch first {
        case 0x00: return length >= 7 && length < 1 << 16
        case 0xFF: return length >= 3 && length < 1 << 16
        case 0xFE: return length < 9
        case 0x01...0xFA: return length == 1
        default: return false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
