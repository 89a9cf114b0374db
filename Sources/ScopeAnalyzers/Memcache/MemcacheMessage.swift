/// One memcached request or response, text or binary, as the parsers give
/// it: the command, the keys it names (bounded), how many values and value
/// bytes it carried (counted, never kept) and the numbers events report.
public struct MemcacheMessage: Sendable, Equatable {
    /// Keys kept per message; the rest are only counted (`keyCount`).
    static let maxKeys = 16

    public var isRequest: Bool
    public var binary: Bool
    /// Text command ("get", "set", …); for binary, the text name of the
    /// opcode (quiet variants share it: GETQ is "get").
    public var command: String
    /// Text: the response's first word ("VALUE", "END", "STORED", a number
    /// is "VALUE"); binary: the opcode name ("getq").
    public var word: String = ""
    public var opcode: UInt8?
    /// The first key (most messages name one, and one needs no array),
    /// then the others kept.
    public var firstKey: String?
    public var laterKeys: [String] = []
    public var keyCount = 0
    /// VALUE blocks (text get), STAT lines, binary values.
    public var countValues = 0
    /// Data-block / value bytes (excluding framing).
    public var valueBytes: UInt64 = 0
    /// Wire bytes of the whole message.
    public var bytes: UInt64 = 0
    public var start: UInt64 = 0
    public var end: UInt64 = 0
    /// The request expects no response (text `noreply`, `quit`), or none on
    /// success (binary quiet opcodes, meta `q`).
    public var noreply = false
    public var quiet = false
    public var opaque: UInt32 = 0
    public var flags: UInt32?
    public var exptime: UInt32?
    public var cas: UInt64?
    public var delta: UInt64?
    /// Binary response status (0 = success).
    public var statusCode: UInt16?
    /// Text: the error text after CLIENT_ERROR/SERVER_ERROR, the version
    /// string, the incr/decr value.
    public var errorMessage: String?
    public var version: String?
    public var numericValue: UInt64?
    /// The raw line of an unknown text command (redacted by default).
    public var line: String?
    public var notes: [String] = []

    init(isRequest: Bool, binary: Bool, command: String) {
        self.isRequest = isRequest
        self.binary = binary
        self.command = command
    }

    mutating func addKey(_ key: String) {
        keyCount &+= 1
        if firstKey == nil {
            firstKey = key
        } else if laterKeys.count &+ 1 < Self.maxKeys {
            laterKeys.append(key)
        }
    }

    mutating func dropKeys() {
        firstKey = nil
        laterKeys = []
    }

    /// A binary response carrying one statistic (more follow, then one with no key).
    var isStatEntry: Bool { !isRequest && opcode == 0x10 && keyCount > 0 && statusCode == 0 }

    /// Keys kept (at most `maxKeys`).
    var keptKeys: Int { firstKey == nil ? 0 : 1 &+ laterKeys.count }

    /// Every key kept, in order (for tests and summaries; events read
    /// `firstKey` and `laterKeys`).
    public var keys: [String] { firstKey.map { [$0] + laterKeys } ?? [] }

    /// Packetbeat's `status` vocabulary, shared by text and binary.
    var status: String { Self.status(code: statusCode, word: word) }

    /// `status` from the two fields it depends on (the event reads them
    /// from a sealed message without copying the message).
    static func status(code: UInt16?, word: String) -> String {
        if let code { return MemcacheNames.binaryStatus(code) }
        switch word {
        // The usual answers first: a String switch tries its cases in order,
        // and each miss is a call (callgrind: about 400 instructions per
        // event when these went through every case to `default`).
        case "VALUE", "STORED", "END": return "Success"
        case "NOT_FOUND": return "Key not found"
        case "EXISTS": return "Key exists"
        case "NOT_STORED": return "Item not stored"
        case "ERROR": return "Unknown command"
        case "CLIENT_ERROR": return "Client error"
        case "SERVER_ERROR": return "Server error"
        case "NF", "EN": return "Key not found"
        case "NS": return "Item not stored"
        case "EX": return "Key exists"
        default: return "Success"
        }
    }

    /// Failures, not ordinary outcomes (a miss or a lost CAS race is OK).
    var isError: Bool {
        if let statusCode { return ![0, 1, 2, 5].contains(statusCode) }
        switch word {
        case "VALUE", "STORED", "END": return false  // the usual answers, decided in one comparison or two
        default: break
        }
        return word == "ERROR" || word == "CLIENT_ERROR" || word == "SERVER_ERROR" || word == "ME"
    }
}

extension MemcacheMessage {
    /// A complete message, immutable and passed on by reference: parsers
    /// build a `MemcacheMessage` in place and seal it when it is complete;
    /// the queue, the pairing and the event then hand on one pointer. As a
    /// value (about 240 bytes, seven references) each hand-over copied it
    /// through value witnesses (callgrind, text set/get: about 4,000
    /// instructions per transaction in copies and memmove).
    final class Sealed: Sendable {
        let message: MemcacheMessage

        init(_ message: consuming MemcacheMessage) {
            self.message = message
        }

        /// A copy with one more note (the rare change after completion).
        func noting(_ note: String) -> Sealed {
            var changed = message
            changed.notes.append(note)
            return Sealed(changed)
        }
    }
}

/// Command classes (Packetbeat's `type`) and binary names.
enum MemcacheNames {
    /// The command's class as a JSON string, written as it is: no String
    /// made, scanned and escaped per event.
    static func typeJSON(_ command: String) -> StaticString {
        switch command {
        // The usual commands first: the cases are tried in order, each miss
        // a String comparison (callgrind: about 220 instructions per call
        // for "set" before).
        case "get": #""Load""#
        case "set": #""Store""#
        case "gets", "gat", "gats", "mg": #""Load""#
        case "add", "replace", "append", "prepend", "cas", "ms": #""Store""#
        case "delete", "md", "flush_all": #""Delete""#
        case "incr", "decr", "ma": #""Counter""#
        case "touch", "verbosity", "version", "quit", "noop", "mn", "me": #""Info""#
        case "stats": #""Stats""#
        case "sasl_list_mechs", "sasl_auth", "sasl_step": #""Auth""#
        case "slabs": #""SlabCtrl""#
        case "lru_crawler": #""LRUCrawler""#
        default: #""UNKNOWN""#
        }
    }

    /// Binary opcode → (opcode name, text command, quiet).
    static func opcode(_ code: UInt8) -> (name: String, command: String, quiet: Bool) {
        switch code {
        case 0x00: ("get", "get", false)
        case 0x01: ("set", "set", false)
        case 0x02: ("add", "add", false)
        case 0x03: ("replace", "replace", false)
        case 0x04: ("delete", "delete", false)
        case 0x05: ("increment", "incr", false)
        case 0x06: ("decrement", "decr", false)
        case 0x07: ("quit", "quit", false)
        case 0x08: ("flush", "flush_all", false)
        case 0x09: ("getq", "get", true)
        case 0x0A: ("noop", "noop", false)
        case 0x0B: ("version", "version", false)
        case 0x0C: ("getk", "get", false)
        case 0x0D: ("getkq", "get", true)
        case 0x0E: ("append", "append", false)
        case 0x0F: ("prepend", "prepend", false)
        case 0x10: ("stat", "stats", false)
        case 0x11: ("setq", "set", true)
        case 0x12: ("addq", "add", true)
        case 0x13: ("replaceq", "replace", true)
        case 0x14: ("deleteq", "delete", true)
        case 0x15: ("incrementq", "incr", true)
        case 0x16: ("decrementq", "decr", true)
        case 0x17: ("quitq", "quit", true)
        case 0x18: ("flushq", "flush_all", true)
        case 0x19: ("appendq", "append", true)
        case 0x1A: ("prependq", "prepend", true)
        case 0x1B: ("verbosity", "verbosity", false)
        case 0x1C: ("touch", "touch", false)
        case 0x1D: ("gat", "gat", false)
        case 0x1E: ("gatq", "gat", true)
        case 0x20: ("sasl_list_mechs", "sasl_list_mechs", false)
        case 0x21: ("sasl_auth", "sasl_auth", false)
        case 0x22: ("sasl_step", "sasl_step", false)
        case 0x23: ("gatk", "gat", false)
        case 0x24: ("gatkq", "gat", true)
        default: ("unknown_\(code)", "unknown", false)
        }
    }

    static func knownOpcode(_ code: UInt8) -> Bool { code <= 0x24 && code != 0x1F }

    static func binaryStatus(_ code: UInt16) -> String {
        switch code {
        case 0x00: "Success"
        case 0x01: "Key not found"
        case 0x02: "Key exists"
        case 0x03: "Value too large"
        case 0x04: "Invalid arguments"
        case 0x05: "Item not stored"
        case 0x06: "Incr/Decr on non-numeric value"
        case 0x07: "Vbucket belongs to another server"
        case 0x08: "Authentication error"
        case 0x09: "Authentication continue"
        case 0x81: "Unknown command"
        case 0x82: "Out of memory"
        case 0x83: "Not supported"
        case 0x84: "Internal error"
        case 0x85: "Busy"
        case 0x86: "Temporary failure"
        default: "Unknown status \(code)"
        }
    }

    static func knownStatus(_ code: UInt16) -> Bool { code <= 0x09 || (code >= 0x20 && code <= 0x22) || (code >= 0x81 && code <= 0x86) }
}
