/// Readers for the few message bodies the analyzer looks into. Every read
/// is bounds-checked: a truncated or lying body yields nil/defaults.
enum PgSQLBody {
    /// The NUL-terminated string at `offset`; advances past the NUL. Without
    /// a NUL (cut by the keep limit) the rest is taken.
    static func cString(_ body: [UInt8], _ offset: inout Int) -> String? {
        guard offset < body.count else { return nil }
        var end = offset
        while end < body.count && body[end] != 0 { end &+= 1 }
        let text = String(decoding: body[offset..<end], as: UTF8.self)
        offset = min(body.count, end &+ 1)
        return text
    }

    static func firstString(_ body: [UInt8]) -> String? {
        var offset = 0
        return cString(body, &offset)
    }

    /// Query: the text. Parse: (statement name, text).
    static func parse(_ body: [UInt8]) -> (name: String, query: String?) {
        var offset = 0
        let name = cString(body, &offset) ?? ""
        return (name, cString(body, &offset))
    }

    /// Bind: (portal, statement). Describe/Close: (kind 'S'|'P', name).
    static func twoNames(_ body: [UInt8]) -> (String, String) {
        var offset = 0
        let first = cString(body, &offset) ?? ""
        return (first, cString(body, &offset) ?? "")
    }

    static func kindAndName(_ body: [UInt8]) -> (UInt8, String) {
        guard let kind = body.first else { return (0, "") }
        var offset = 1
        return (kind, cString(body, &offset) ?? "")
    }

    /// RowDescription: the field count.
    static func fieldCount(_ body: [UInt8]) -> Int {
        body.count >= 2 ? Int(body[0]) << 8 | Int(body[1]) : 0
    }
}

/// The fields of an ErrorResponse that events carry.
public struct PgSQLServerError: Equatable, Sendable {
    public var severity: String?
    public var code: String?
    public var message: String?

    init(body: [UInt8]) {
        var offset = 0
        var localizedSeverity: String?
        while offset < body.count, body[offset] != 0 {
            let field = body[offset]
            offset &+= 1
            guard let value = PgSQLBody.cString(body, &offset) else { break }
            switch field {
            case UInt8(ascii: "S"): localizedSeverity = value
            case UInt8(ascii: "V"): severity = value
            case UInt8(ascii: "C"): code = value
            case UInt8(ascii: "M"): message = value
            default: break
            }
        }
        // Packetbeat reports 'S'; 'V' (9.6+) is the same word, never translated.
        severity = localizedSeverity ?? severity
    }

    public init(severity: String?, code: String?, message: String?) {
        self.severity = severity
        self.code = code
        self.message = message
    }
}

/// CommandComplete tags ("SELECT 5", "INSERT 0 1", "BEGIN").
enum PgSQLCommandTag {
    /// The row count a tag ends with, for the commands that report one.
    static func rows(_ tag: String) -> UInt64? {
        // Tags are ASCII: the first and last words are found by byte, with
        // no array of words (non-ASCII, unheard of, takes the general way).
        let bytes = tag.utf8
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return rows(words: tag.split(separator: " ")) }
        let space = UInt8(ascii: " ")
        guard let first = bytes.firstIndex(where: { $0 != space }),
              let lastEnd = bytes.lastIndex(where: { $0 != space }),
              let firstEnd = bytes[first...].firstIndex(of: space), firstEnd < lastEnd,
              let lastSpace = bytes[..<lastEnd].lastIndex(of: space) else { return nil }
        let end = bytes.index(after: lastEnd)
        return rows(command: tag[first..<firstEnd], count: tag[bytes.index(after: lastSpace)..<end])
    }

    private static func rows(words: [Substring]) -> UInt64? {
        guard words.count >= 2, let last = words.last else { return nil }
        return rows(command: words[0], count: last)
    }

    private static func rows(command: Substring, count: Substring) -> UInt64? {
        guard let count = UInt64(count) else { return nil }
        switch command {
        case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "FETCH", "MOVE", "COPY": return count
        default: return nil
        }
    }
}
