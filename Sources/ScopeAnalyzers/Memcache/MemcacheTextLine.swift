/// What one line of the text protocol says: a request (and the length of
/// the data block that follows it), or a piece of a response.
enum MemcacheTextLine {
    /// The space-separated words of a line, without copying until asked.
    struct Words {
        let line: UnsafeRawBufferPointer
        private var position = 0

        init(_ line: UnsafeRawBufferPointer) {
            self.line = line
        }

        // Always inlined: left to the inliner, it stopped being inlined
        // into `request` when that function changed (+440 instructions a get).
        @inline(__always)
        mutating func next() -> UnsafeRawBufferPointer? {
            while position < line.count && (line[position] == 0x20 || line[position] == 0x09) { position &+= 1 }
            guard position < line.count else { return nil }
            let start = position
            while position < line.count && line[position] != 0x20 && line[position] != 0x09 { position &+= 1 }
            return UnsafeRawBufferPointer(rebasing: line[start..<position])
        }

        mutating func nextString(max: Int = 250) -> String? {
            next().map { MemcacheTextLine.text($0.prefix(max)) }
        }

        mutating func nextNumber() -> UInt64? { next().flatMap(Self.number) }

        /// The rest of the line after the current word.
        mutating func rest() -> String {
            while position < line.count && line[position] == 0x20 { position &+= 1 }
            return MemcacheTextLine.text(line[position...].prefix(256))
        }

        static func number(_ word: UnsafeRawBufferPointer) -> UInt64? {
            guard !word.isEmpty, word.count <= 20 else { return nil }
            var value: UInt64 = 0
            for byte in word {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(UInt64(byte &- 0x30))
                guard !o1 && !o2 else { return nil }
                value = sum
            }
            return value
        }
    }

    /// `word` as one of `names` (the literal, so no String is decoded nor
    /// hashed), nil when it is none of them. Only for ASCII words: String
    /// equality is canonical equivalence, so non-ASCII words are compared
    /// as Strings by the caller.
    static func known(_ word: UnsafeRawBufferPointer, in names: [(bytes: [UInt8], name: String)]) -> String? {
        for entry in names where entry.bytes.count == word.count && same(entry.bytes, word) { return entry.name }
        return nil
    }

    @inline(__always)
    static func same(_ bytes: [UInt8], _ word: UnsafeRawBufferPointer) -> Bool {
        bytes.withUnsafeBufferPointer { bytes in
            var index = 0
            while index < bytes.count && bytes[index] == word[index] { index &+= 1 }
            return index == bytes.count
        }
    }

    static func matches(_ word: UnsafeRawBufferPointer, _ name: String) -> Bool {
        name.utf8.count == word.count && name.utf8.elementsEqual(word)
    }

    /// The bytes as a String, decoded from contiguous memory: decoding a
    /// `Slice` of the buffer takes the generic path, byte by byte.
    static func text(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes), as: UTF8.self)
    }

    static func isASCII(_ word: UnsafeRawBufferPointer) -> Bool { word.allSatisfy { $0 < 0x80 } }

    /// A word's String and whether it is in `names`/`set` (the same list):
    /// the literal for an ASCII word, decoded and hashed otherwise.
    static func word(_ word: UnsafeRawBufferPointer, max: Int, names: [(bytes: [UInt8], name: String)], set: Set<String>) -> (String, known: Bool) {
        if word.count <= max && isASCII(word) {
            if let name = known(word, in: names) { return (name, true) }
            return (String(decoding: word, as: UTF8.self), false)
        }
        let string = text(word.prefix(max))
        return (string, set.contains(string))
    }

    /// Whether the next word is `literal` (as the String comparison would say).
    static func isWord(_ word: UnsafeRawBufferPointer?, _ literal: String) -> Bool {
        guard let word else { return false }
        if isASCII(word) { return matches(word, literal) }
        return text(word.prefix(250)) == literal
    }

    /// In the order they are looked for: the common ones first.
    static let requestCommandList = byteTable(requestCommandNames)
    static let responseWordList = byteTable(responseWordNames)

    static func byteTable(_ names: [String]) -> [(bytes: [UInt8], name: String)] { names.map { (Array($0.utf8), $0) } }

    static let requestCommandNames: [String] = [
        "get", "set", "gets", "delete", "incr", "decr", "add", "replace", "append", "prepend", "cas", "touch",
        "gat", "gats", "mg", "ms", "md", "ma", "mn", "me", "stats", "version", "flush_all", "verbosity", "quit",
        "slabs", "lru_crawler", "watch", "shutdown", "cache_memlimit", "misbehave",
    ]

    static let responseWordNames: [String] = [
        "STORED", "END", "VALUE", "DELETED", "NOT_FOUND", "HD", "VA", "EN", "NF", "NS", "EX", "MN", "ME",
        "NOT_STORED", "EXISTS", "TOUCHED", "OK", "STAT", "ERROR", "CLIENT_ERROR", "SERVER_ERROR", "VERSION", "RESET",
    ]

    static let requestCommands: Set<String> = [
        "get", "gets", "gat", "gats", "set", "add", "replace", "append", "prepend", "cas", "incr", "decr",
        "delete", "touch", "stats", "version", "flush_all", "verbosity", "quit", "mg", "ms", "md", "ma", "mn", "me",
        "slabs", "lru_crawler", "watch", "shutdown", "cache_memlimit", "misbehave",
    ]

    static let responseWords: Set<String> = [
        "VALUE", "END", "STAT", "STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "TOUCHED", "OK",
        "ERROR", "CLIENT_ERROR", "SERVER_ERROR", "VERSION", "RESET", "VA", "HD", "NF", "NS", "EX", "EN", "MN", "ME",
    ]

    /// What a request line leaves to do.
    enum RequestLine: Equatable {
        /// Not a request (or, when strict, not one of a known command).
        case rejected
        case complete
        /// A storage command: its data block (without the CRLF) follows.
        case dataBlock(length: Int)
    }

    /// A request line, parsed into `message` (a new request's, filled in
    /// place: returned in a tuple or an optional, the message was copied and
    /// the original destroyed). `strict`: only known commands (after a gap
    /// or at a mid-stream start, where a line may be a piece of a data block).
    static func request(_ line: UnsafeRawBufferPointer, strict: Bool, redact: Bool,
                        into message: inout MemcacheMessage) -> RequestLine {
        var words = Words(line)
        guard let first = words.next() else { return .rejected }
        let (command, known) = word(first, max: 32, names: requestCommandList, set: requestCommands)
        message.command = command
        let incomplete: RequestLine = strict ? .rejected : .complete
        guard known else {
            guard !strict, line.count <= 256, line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .rejected }
            message.command = "unknown"
            message.line = redact ? command : String(decoding: line, as: UTF8.self)
            return .complete
        }
        var dataLength: Int?
        switch family(command) {
        case .retrieval:
            if command.hasPrefix("gat") { message.exptime = words.nextNumber().map(clamp32) }
            while let key = words.nextString() { message.addKey(key) }
            guard message.keyCount > 0 else { return incomplete }
        case .storage:
            guard let key = words.nextString(), let flags = words.nextNumber(), let exptime = words.nextNumber(),
                  let length = words.nextNumber(), length <= UInt64(Int32.max) else {
                return incomplete  // the server answers CLIENT_ERROR
            }
            message.addKey(key)
            message.flags = clamp32(flags)
            message.exptime = clamp32(exptime)
            if command == "cas" { message.cas = words.nextNumber() }
            message.noreply = isWord(words.next(), "noreply")
            message.valueBytes = length
            message.countValues = 1
            dataLength = Int(length)
        case .keyed:
            guard let key = words.nextString() else { return incomplete }
            message.addKey(key)
            var last: String?
            while let word = words.nextString() {
                if let value = UInt64(word) {
                    if command == "touch" { message.exptime = clamp32(value) } else { message.delta = value }
                }
                last = word
            }
            if command == "delete" { message.delta = nil }
            message.noreply = last == "noreply"
        case .meta:
            guard let key = words.nextString() else { return incomplete }
            message.addKey(key)
            if command == "ms" {
                guard let length = words.nextNumber(), length <= UInt64(Int32.max) else { return incomplete }
                message.valueBytes = length
                message.countValues = 1
                dataLength = Int(length)
            }
            // Meta quiet mode: no answer on success. Treated like noreply
            // (a quiet failure's answer would show up as unmatched).
            while let flag = words.next() { if flag.count == 1 && flag[0] == UInt8(ascii: "q") { message.quiet = true } }
        case .other:
            var last: String?
            while let word = words.nextString() { last = word }
            message.noreply = last == "noreply" || command == "quit"
        }
        guard let dataLength else { return .complete }
        return .dataBlock(length: dataLength)
    }

    /// How a request's line goes on, by its command.
    enum RequestFamily {
        /// get, gets, gat, gats: keys.
        case retrieval
        /// set, add, replace, append, prepend, cas: key, flags, exptime, length.
        case storage
        /// incr, decr, touch, delete: a key, then numbers.
        case keyed
        /// ms, mg, md, ma: a key, then flags.
        case meta
        case other
    }

    /// "get" and "set" (nearly every request) are tried first, each a case
    /// of its own: a String switch tries its cases in order and each miss
    /// is a call (callgrind: four misses, about 330 instructions, for
    /// every "set" when the get family came first).
    static func family(_ command: String) -> RequestFamily {
        switch command {
        case "get": .retrieval
        case "set": .storage
        case "gets", "gat", "gats": .retrieval
        case "add", "replace", "append", "prepend", "cas": .storage
        case "incr", "decr", "touch", "delete": .keyed
        case "ms", "mg", "md", "ma": .meta
        default: .other
        }
    }

    /// One line of a response: its first word and what it adds.
    enum ResponsePiece {
        /// VALUE/VA header: a data block of this length follows.
        case value(key: String?, length: Int, flags: UInt32?, cas: UInt64?)
        /// A STAT line (more follow until END).
        case stat
        /// A complete one-line response, or the END of a multi-line one:
        /// its word ("COUNTER" for an incr/decr value) and what follows it.
        /// Not the message: a case holding one copied it in and destroyed
        /// the original.
        case final(word: String, errorMessage: String?, version: String?, value: UInt64?)
    }

    static func response(_ line: UnsafeRawBufferPointer, strict: Bool) -> ResponsePiece? {
        var words = Words(line)
        guard let first = words.next() else { return nil }
        let (word, known) = word(first, max: 32, names: responseWordList, set: responseWords)
        switch word {
        case "VALUE":
            guard let key = words.nextString(), let flags = words.nextNumber(), let length = words.nextNumber(),
                  length <= UInt64(Int32.max) else { return nil }
            return .value(key: key, length: Int(length), flags: clamp32(flags), cas: words.nextNumber())
        case "VA":
            guard let length = words.nextNumber(), length <= UInt64(Int32.max) else { return nil }
            return .value(key: nil, length: Int(length), flags: nil, cas: nil)
        case "STAT":
            return .stat
        default:
            break
        }
        switch word {
        case "CLIENT_ERROR", "SERVER_ERROR":
            return .final(word: word, errorMessage: words.rest(), version: nil, value: nil)
        case "VERSION":
            return .final(word: word, errorMessage: nil, version: words.nextString(max: 64), value: nil)
        default:
            if let number = Words.number(first) { return .final(word: "COUNTER", errorMessage: nil, version: nil, value: number) }
            if !known {
                guard !strict, line.count <= 1024, line.allSatisfy({ $0 >= 0x09 && $0 < 0x7F }) else { return nil }
            }
            return .final(word: word, errorMessage: nil, version: nil, value: nil)
        }
    }

    static func clamp32(_ value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: min(value, UInt64(UInt32.max))) }
}
