/// SQL text as far as the analyzer needs it: a simple Query may hold several
/// statements ("BEGIN; UPDATE …; COMMIT"), and the server answers each with
/// its own result, so the text is split where the server's lexer would
/// split it — semicolons outside quotes, quoted identifiers, dollar quotes
/// and comments. Statements that are only blanks or comments are dropped,
/// as the server drops them.
enum PgSQLStatements {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// The UTF-8 of `text` in place (a copy only for a bridged string).
    static func withBytes<R>(_ text: String, _ body: (Bytes) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    static func split(_ query: String) -> [String] {
        withBytes(query) { split(query, $0) }
    }

    private static func split(_ query: String, _ bytes: Bytes) -> [String] {
        var statements: [String] = []
        var start = 0
        var hasContent = false
        var index = 0
        func flush(upTo end: Int) {
            if hasContent { statements.append(trimmed(query, bytes, start..<end)) }
            hasContent = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: ";"):
                flush(upTo: index)
                start = index &+ 1
                index &+= 1
                continue
            case UInt8(ascii: "-") where next(bytes, index) == UInt8(ascii: "-"):
                while index < bytes.count && bytes[index] != 0x0A { index &+= 1 }
                continue
            case UInt8(ascii: "/") where next(bytes, index) == UInt8(ascii: "*"):
                index = skipBlockComment(bytes, from: index)
                continue
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
                index &+= 1
                continue
            default: break
            }
            hasContent = true
            switch byte {
            case UInt8(ascii: "'"):
                let escapes = index > 0 && (bytes[index &- 1] | 0x20) == UInt8(ascii: "e")
                    && (index < 2 || !isIdentifier(bytes[index &- 2]))
                index = skipQuoted(bytes, from: index, quote: byte, backslashEscapes: escapes)
            case UInt8(ascii: "\""):
                index = skipQuoted(bytes, from: index, quote: byte, backslashEscapes: false)
            case UInt8(ascii: "$") where index == 0 || !isIdentifier(bytes[index &- 1]):
                index = skipDollarQuoted(bytes, from: index)
            default:
                index &+= 1
            }
        }
        flush(upTo: bytes.count)
        return statements
    }

    /// The first keyword, uppercased (Packetbeat's `method`): "SELECT",
    /// "INSERT", "BEGIN", "WITH". Leading blanks, comments and parentheses are skipped.
    static func method(_ statement: String) -> String? {
        withBytes(statement) { method(Bytes(rebasing: $0.prefix(4096))) }
    }

    private static func method(_ bytes: Bytes) -> String? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "-") && next(bytes, index) == UInt8(ascii: "-") {
                while index < bytes.count && bytes[index] != 0x0A { index &+= 1 }
            } else if byte == UInt8(ascii: "/") && next(bytes, index) == UInt8(ascii: "*") {
                index = skipBlockComment(bytes, from: index)
            } else if byte == UInt8(ascii: "(") || byte <= 0x20 {
                index &+= 1
            } else {
                break
            }
        }
        var end = index
        while end < bytes.count && isIdentifier(bytes[end]) && bytes[end] != UInt8(ascii: "$") { end &+= 1 }
        guard end > index else { return nil }
        let word = Bytes(rebasing: bytes[index..<end])
        // Keywords are ASCII: uppercased byte by byte, no Unicode tables.
        guard word.count <= 64, word.allSatisfy({ $0 < 0x80 }) else {
            return String(decoding: word, as: UTF8.self).uppercased()
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: word.count) { upper in
            for (index, byte) in word.enumerated() { upper[index] = byte >= 0x61 && byte <= 0x7A ? byte &- 0x20 : byte }
            return String(decoding: upper, as: UTF8.self)
        }
    }

    /// "ALTER ROLE x PASSWORD 'secret'" (psql's \password sends this too):
    /// the literal after PASSWORD becomes '<redacted>'.
    static func redactingPasswords(_ statement: String) -> String {
        withBytes(statement) { redactingPasswords(statement, $0) }
    }

    private static func redactingPasswords(_ statement: String, _ bytes: Bytes) -> String {
        let keyword: StaticString = "password"
        let keywordCount = keyword.utf8CodeUnitCount
        func matches(at index: Int) -> Bool {
            (0..<keywordCount).allSatisfy { (bytes[index &+ $0] | 0x20) == keyword.utf8Start[$0] }
        }
        // Nearly every statement has no "password" at all: it comes back as it is.
        guard bytes.count > keywordCount, (0..<(bytes.count &- keywordCount)).contains(where: matches) else {
            return statement
        }
        var output: [UInt8] = []
        var index = 0
        var copied = 0
        while index &+ keywordCount < bytes.count {
            guard matches(at: index), index == 0 || !isIdentifier(bytes[index &- 1]) else { index &+= 1; continue }
            var quote = index &+ keywordCount
            while quote < bytes.count && bytes[quote] <= 0x20 { quote &+= 1 }
            guard quote < bytes.count, bytes[quote] == UInt8(ascii: "'") else { index &+= 1; continue }
            let end = skipQuoted(bytes, from: quote, quote: UInt8(ascii: "'"), backslashEscapes: false)
            output.append(contentsOf: bytes[copied..<quote])
            output.append(contentsOf: "'<redacted>'".utf8)
            copied = end
            index = end
        }
        guard copied > 0 else { return statement }
        output.append(contentsOf: bytes[copied...])
        return String(decoding: output, as: UTF8.self)
    }

    private static func next(_ bytes: Bytes, _ index: Int) -> UInt8? {
        index &+ 1 < bytes.count ? bytes[index &+ 1] : nil
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte >= 0x80
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "$")
    }

    /// The statement without surrounding blanks; the query itself (no
    /// copy) when it is the whole of it.
    private static func trimmed(_ query: String, _ bytes: Bytes, _ range: Range<Int>) -> String {
        var (start, end) = (range.lowerBound, range.upperBound)
        while start < end && bytes[start] <= 0x20 { start &+= 1 }
        while end > start && bytes[end &- 1] <= 0x20 { end &-= 1 }
        if start == 0 && end == bytes.count { return query }
        return String(decoding: Bytes(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// Past a quoted run; a doubled quote stays inside; an unterminated one runs to the end.
    private static func skipQuoted(_ bytes: Bytes, from start: Int, quote: UInt8, backslashEscapes: Bool) -> Int {
        var index = start &+ 1
        while index < bytes.count {
            let byte = bytes[index]
            if backslashEscapes && byte == UInt8(ascii: "\\") {
                index &+= 2
            } else if byte == quote {
                if next(bytes, index) == quote { index &+= 2 } else { return index &+ 1 }
            } else {
                index &+= 1
            }
        }
        return bytes.count
    }

    /// Block comments nest in PostgreSQL.
    private static func skipBlockComment(_ bytes: Bytes, from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/") && next(bytes, index) == UInt8(ascii: "*") {
                depth &+= 1
                index &+= 2
            } else if bytes[index] == UInt8(ascii: "*") && next(bytes, index) == UInt8(ascii: "/") {
                depth &-= 1
                index &+= 2
                if depth == 0 { return index }
            } else {
                index &+= 1
            }
        }
        return bytes.count
    }

    /// `$tag$ … $tag$`; a `$` that opens no tag (a `$1` parameter) is one byte.
    private static func skipDollarQuoted(_ bytes: Bytes, from start: Int) -> Int {
        var end = start &+ 1
        while end < bytes.count && bytes[end] != UInt8(ascii: "$") {
            let byte = bytes[end]
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                || byte == UInt8(ascii: "_") || byte >= 0x80
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard letter || (digit && end > start &+ 1) else { return start &+ 1 }
            end &+= 1
        }
        guard end < bytes.count else { return start &+ 1 }
        let tag = bytes[start...end]
        var index = end &+ 1
        while index &+ tag.count <= bytes.count {
            if bytes[index] == UInt8(ascii: "$") && bytes[index..<(index &+ tag.count)].elementsEqual(tag) {
                return index &+ tag.count
            }
            index &+= 1
        }
        return bytes.count
    }
}
