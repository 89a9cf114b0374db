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
        let found: UInt64?? = tag.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            return .some(rows(ascii: bytes))
        } ?? nil
        return found ?? rows(words: tag.split(separator: " "))
    }

    private static func rows(ascii bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let space = UInt8(ascii: " ")
        guard let first = bytes.firstIndex(where: { $0 != space }),
              let lastEnd = bytes.lastIndex(where: { $0 != space }),
              let firstEnd = bytes[first...].firstIndex(of: space), firstEnd < lastEnd,
              let lastSpace = bytes[..<lastEnd].lastIndex(of: space),
              let count = decimal(bytes[(lastSpace &+ 1)...lastEnd]) else { return nil }
        let command = bytes[first..<firstEnd]
        for name in ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "FETCH", "MOVE", "COPY"] as [StaticString]
        where name.utf8CodeUnitCount == command.count
            && UnsafeBufferPointer(start: name.utf8Start, count: command.count).elementsEqual(command) {
            return count
        }
        return nil
    }

    /// What `UInt64(String)` accepts: an optional sign, then decimal
    /// digits, no overflow (a "-" only before zero).
    private static func decimal(_ text: UnsafeBufferPointer<UInt8>.SubSequence) -> UInt64? {
        var digits = text[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !overflowA && !overflowB else { return nil }
            value = sum
        }
        return negative && value != 0 ? nil : value
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
