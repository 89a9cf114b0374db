/// What an event needs from a command: its name, the key it works on and
/// the command line with secrets replaced. Built once per request, so a
/// queued request costs a few short strings, not its whole value.
struct RedisCommand: Equatable, Sendable {
    /// Uppercased first word ("SET", "CLIENT").
    var name: String
    /// First argument of a keyed command.
    var key: String?
    /// Arguments joined by spaces, capped at `queryBytes`.
    var query: String
    /// Subcommand, uppercased, for the commands whose behaviour hangs on it
    /// (CLIENT, HELLO); nil for the others.
    var subcommand: String?
    /// The mode of CLIENT REPLY (ON, OFF, SKIP), which decides whether
    /// replies follow at all.
    var clientReply: String?
    /// CONFIG GET of a pattern that can match a password parameter: the
    /// reply is redacted too.
    var redactsReply = false
    var start: UInt64
    var end: UInt64
    var bytes: UInt64
    var notes: [String]

    static let queryBytes = 1024
    static let redacted = "<redacted>"

    init(_ message: RedisMessage, redactSecrets: Bool) {
        var words = message.elements
        if message.elementCount > words.count { words.append("... \(message.elementCount - words.count) more") }
        name = words.first.map(Self.uppercased) ?? ""
        if words.count > 1 && (name == "CLIENT" || name == "HELLO") { subcommand = Self.uppercased(words[1]) }
        if name == "CLIENT" && subcommand == "REPLY" && words.count > 2 { clientReply = words[2].uppercased() }
        if redactSecrets { redactsReply = Self.redact(&words, name: name) }
        key = words.count > 1 && !Self.isKeyless(name) ? words[1] : nil
        query = RedisRenderer.capped(Self.joined(words), Self.queryBytes)
        start = message.start
        end = message.end
        bytes = message.bytes
        notes = message.notes
    }

    /// Replaces passwords in place; true when the reply carries one too.
    private static func redact(_ words: inout [String], name: String) -> Bool {
        // Most commands are none of the cases below: one byte tells
        // (no other character is canonically equivalent to A, H, M or C).
        switch name.utf8.first {
        case UInt8(ascii: "A"), UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "C"): break
        default: return false
        }
        func hide(_ index: Int) { if index < words.count { words[index] = redacted } }
        switch name {
        case "AUTH":
            for index in 1..<max(1, words.count) { hide(index) }
        case "HELLO", "MIGRATE":
            // HELLO 3 AUTH user pass; MIGRATE ... AUTH pass | AUTH2 user pass
            for index in words.indices.dropFirst() {
                switch words[index].uppercased() {
                case "AUTH" where name == "HELLO", "AUTH2":
                    hide(index + 1)
                    hide(index + 2)
                case "AUTH":
                    hide(index + 1)
                default: break
                }
            }
        case "CONFIG" where words.count > 2:
            let sub = words[1].uppercased()
            if sub == "SET" {
                var index = 2
                while index + 1 < words.count {
                    if isSecretParameter(words[index]) { hide(index + 1) }
                    index += 2
                }
            } else if sub == "GET" {
                return words.dropFirst(2).contains { isSecretParameter($0) || $0.contains("*") || $0.contains("?") }
            }
        case "ACL" where words.count > 3 && words[1].uppercased() == "SETUSER":
            // >password, <password, #hash, !hash rules
            for index in 3..<words.count where words[index].first.map({ ">#<!".contains($0) }) == true {
                words[index] = String(words[index].prefix(1)) + redacted
            }
        default: break
        }
        return false
    }

    /// `words.joined(separator: " ")`, copied in one pass into one buffer.
    static func joined(_ words: [String]) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        var total = words.count &- 1
        for word in words { total &+= word.utf8.count }
        return String(unsafeUninitializedCapacity: total) { buffer in
            var at = 0
            for (index, word) in words.enumerated() {
                if index > 0 {
                    buffer[at] = UInt8(ascii: " ")
                    at &+= 1
                }
                var word = word
                word.withUTF8 { bytes in
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[at...]).initialize(from: bytes)
                    at &+= bytes.count
                }
            }
            return at
        }
    }

    /// `word.uppercased()`; an ASCII word that already is (what clients
    /// send) comes back as it is, with no new String.
    static func uppercased(_ word: String) -> String {
        var lower = false
        for byte in word.utf8 {
            if byte >= 0x80 { return word.uppercased() }
            if byte >= 0x61 && byte <= 0x7A { lower = true }
        }
        guard lower else { return word }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: word.utf8.count) { upper in
            for (index, byte) in word.utf8.enumerated() { upper[index] = byte >= 0x61 && byte <= 0x7A ? byte &- 0x20 : byte }
            return String(decoding: upper, as: UTF8.self)
        }
    }

    private static func isSecretParameter(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.contains("pass") || lower.contains("auth")
    }

    /// `keyless.contains(name)` without hashing a String per command: an
    /// ASCII name of at most 16 bytes is packed into two words and looked
    /// up by binary search; anything else asks the set (which also knows
    /// that a name spelled with a Kelvin sign equals one spelled with K).
    static func isKeyless(_ name: String) -> Bool {
        guard let packed = packed(name) else { return keyless.contains(name) }
        var low = 0, high = keylessPacked.count
        while low < high {
            let middle = (low &+ high) >> 1
            let probe = keylessPacked[middle]
            if probe == packed { return true }
            if probe.0 < packed.0 || (probe.0 == packed.0 && probe.1 < packed.1) { low = middle &+ 1 } else { high = middle }
        }
        return false
    }

    /// The bytes of an ASCII name up to 16 long, big-endian in two words
    /// (so the pairs order like the names); nil otherwise.
    private static func packed(_ name: String) -> (UInt64, UInt64)? {
        var high: UInt64 = 0, low: UInt64 = 0, count = 0
        for byte in name.utf8 {
            guard byte < 0x80, count < 16 else { return nil }
            if count < 8 { high |= UInt64(byte) << (56 &- 8 &* count) } else { low |= UInt64(byte) << (56 &- 8 &* (count &- 8)) }
            count &+= 1
        }
        return (high, low)
    }

    private static let keylessPacked: [(UInt64, UInt64)] = keyless.compactMap(packed).sorted {
        $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1)
    }

    /// Commands whose first argument is not a key (Packetbeat's `resource`
    /// is only meaningful for keyed commands).
    static let keyless: Set<String> = [
        "AUTH", "HELLO", "PING", "ECHO", "SELECT", "QUIT", "RESET", "INFO", "CONFIG", "CLIENT", "CLUSTER",
        "COMMAND", "MULTI", "EXEC", "DISCARD", "UNWATCH", "DBSIZE", "FLUSHDB", "FLUSHALL", "TIME", "LASTSAVE",
        "SAVE", "BGSAVE", "BGREWRITEAOF", "SHUTDOWN", "MONITOR", "SLOWLOG", "LATENCY", "MEMORY", "MODULE",
        "ACL", "DEBUG", "SCRIPT", "FUNCTION", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO",
        "SCAN", "KEYS", "RANDOMKEY", "SWAPDB", "REPLICAOF", "SLAVEOF", "ROLE", "SYNC", "PSYNC", "REPLCONF",
        "WAIT", "WAITAOF", "FAILOVER", "LOLWUT", "PUBLISH", "SPUBLISH", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
        "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "PUBSUB", "READONLY", "READWRITE", "ASKING", "MIGRATE",
        "OBJECT", "XREAD", "XREADGROUP", "BLMPOP", "BZMPOP", "LMPOP", "ZMPOP", "ZUNION", "ZINTER", "ZDIFF",
        "ZINTERCARD", "SINTERCARD",
    ]

    /// Replies to these (one per channel) confirm (un)subscriptions.
    static let subscriptionKinds: Set<String> = [
        "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
    ]
    /// Messages a subscribed connection receives unasked.
    static let messageKinds: Set<String> = ["message", "pmessage", "smessage"]
}
