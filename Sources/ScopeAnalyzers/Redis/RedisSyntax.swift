/// Checks on single RESP lines, and the inline command form.
enum RedisHeader {
    static func isValidSimple(_ type: UInt8, _ payload: UnsafeRawBufferPointer) -> Bool {
        switch type {
        case UInt8(ascii: ":"): RESPType.integer(payload) != nil
        case UInt8(ascii: "_"): payload.isEmpty
        case UInt8(ascii: "#"): payload.count == 1 && (payload[0] == UInt8(ascii: "t") || payload[0] == UInt8(ascii: "f"))
        case UInt8(ascii: ","), UInt8(ascii: "("): !payload.isEmpty
        default: true
        }
    }

    /// Where a lost parser may pick up again: a command array for the
    /// client side (inline commands are too much like any text), any
    /// well-formed type line for the server side.
    static func canStartMessage(_ line: UnsafeRawBufferPointer, request: Bool) -> Bool {
        guard let type = line.first else { return false }
        let payload = UnsafeRawBufferPointer(rebasing: line[1...])
        if request {
            guard type == UInt8(ascii: "*"), let count = RESPType.integer(payload) else { return false }
            return count >= 1 && count <= RedisLimits.maxAggregateCount
        }
        if type == UInt8(ascii: "+") || type == UInt8(ascii: "-") {
            return !payload.isEmpty && payload[0] >= 0x20 && payload[0] < 0x7F
        }
        if RESPType.isSimple(type) { return isValidSimple(type, payload) }
        guard RESPType.isBlob(type) || RESPType.isAggregate(type), let count = RESPType.integer(payload) else { return false }
        return count >= -1 && count <= (RESPType.isBlob(type) ? RedisLimits.maxBulkLength : RedisLimits.maxAggregateCount)
    }

    /// An inline command ("PING", "SET k v"): words split on blanks. Nil
    /// when the first word is no Redis command (binary garbage, the middle
    /// of a value after a mid-stream start).
    static func inlineWords(_ line: UnsafeRawBufferPointer) -> [String]? {
        var words: [String] = []
        var wordStart: Int?
        for index in 0...line.count {
            let blank = index == line.count || line[index] == 0x20 || line[index] == 0x09
            if blank, let begin = wordStart {
                let word = UnsafeRawBufferPointer(rebasing: line[begin..<index])
                if words.isEmpty && !RedisCommandNames.contains(word) { return nil }
                words.append(RedisRenderer.capped(String(decoding: word, as: UTF8.self), RedisLimits.maxElementBytes))
                wordStart = nil
            } else if !blank && wordStart == nil {
                wordStart = index
            }
        }
        return words.isEmpty ? nil : words
    }
}

/// The capped text rendering of a value, built as the parser walks it, and
/// the first bytes of the blob being read.
struct RedisRenderer {
    private var output: [UInt8] = []
    private var full = false
    private var kept: [UInt8] = []
    private var keptTotal = 0
    /// A gap was absorbed inside the blob: its text is incomplete.
    var keptIsCut = false
    static let keepLimit = max(RedisLimits.renderBytes, RedisLimits.maxElementBytes)

    static func capped(_ text: String, _ limit: Int) -> String {
        text.utf8.count <= limit ? text : String(decoding: text.utf8.prefix(limit), as: UTF8.self) + "..."
    }

    mutating func begin() {
        output.removeAll(keepingCapacity: true)
        full = false
    }

    mutating func finish() -> [UInt8] { output }

    mutating func append(_ text: String) {
        guard !full else { return }
        let room = RedisLimits.renderBytes &- output.count
        var text = text
        text.withUTF8 { bytes in  // in one copy, not byte by byte through the view
            if bytes.count <= room {
                output.append(contentsOf: bytes)
            } else {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[..<room]))
                output.append(contentsOf: "...".utf8)
                full = true
            }
        }
    }

    mutating func separator(afterIndex index: Int, paired: Bool) {
        if index > 0 { append(paired && index % 2 == 1 ? ": " : ", ") }
    }

    mutating func open(_ type: UInt8) { append(type == UInt8(ascii: "%") ? "{" : "[") }
    mutating func close(_ type: UInt8) { append(type == UInt8(ascii: "%") ? "}" : "]") }

    mutating func startKeeping() {
        kept.removeAll(keepingCapacity: true)
        keptTotal = 0
        keptIsCut = false
    }

    mutating func keep(_ bytes: UnsafeRawBufferPointer) {
        keptTotal &+= bytes.count
        let room = Self.keepLimit &- kept.count
        if room > 0 { kept.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[..<min(room, bytes.count)])) }
    }

    /// A verbatim string's "txt:" format prefix is left out.
    func keptText(verbatim: Bool) -> String {
        var body = kept[...]
        if verbatim && kept.count >= 4 && kept[3] == UInt8(ascii: ":") { body = kept[4...] }
        let text = String(decoding: body, as: UTF8.self)
        return keptTotal > kept.count || keptIsCut ? text + "..." : text
    }

    func simpleText(_ type: UInt8, _ payload: UnsafeRawBufferPointer) -> String {
        switch type {
        case UInt8(ascii: "_"): return "nil"
        case UInt8(ascii: "#"): return payload.first == UInt8(ascii: "t") ? "true" : "false"
        default:
            let text = String(decoding: payload.prefix(Self.keepLimit), as: UTF8.self)
            return payload.count > Self.keepLimit ? text + "..." : text
        }
    }
}
