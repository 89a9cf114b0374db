/// Content detection for Redis from the first bytes of a direction
/// (at most `ProtocolDetection.prefixLength`). Strict on purpose, since it
/// runs over every unclaimed connection: a client is a RESP command array
/// (`*<n>\r\n$<m>\r\n` then a command-name byte) or an inline PING, HELLO
/// or AUTH; a server is `+OK`/`+PONG`-style status, a `-ERR`-style error,
/// `:<int>`, `$<len>` or `%<n>` (the HELLO 3 map), each line complete.
enum RedisDetection {
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard let first = bytes.first else { return .needMore }
        switch first {
        case UInt8(ascii: "*"): return commandArray(bytes)
        case UInt8(ascii: "+"), UInt8(ascii: "-"): return status(bytes)
        case UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "%"): return number(bytes, from: 1, then: nil) ?? .fromServer
        default: return inline(bytes)
        }
    }

    /// Digits (a leading '-' allowed) then CR LF from `start`; then, if
    /// given, `then` checks what follows. nil means "matches as far as seen".
    private static func number(_ bytes: UnsafeRawBufferPointer, from start: Int,
                               then: ((Int) -> ContentMatch)?) -> ContentMatch? {
        var index = start
        if index < bytes.count && bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 && index - digitsStart < 10 { index += 1 }
        guard index < bytes.count else { return .needMore }
        guard index > digitsStart, bytes[index] == 0x0D else { return .no }
        guard index + 1 < bytes.count else { return .needMore }
        guard bytes[index + 1] == 0x0A else { return .no }
        return then?(index + 2)
    }

    private static func commandArray(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        number(bytes, from: 1) { next in
            guard next < bytes.count else { return .needMore }
            guard bytes[next] == UInt8(ascii: "$") else { return .no }
            return number(bytes, from: next + 1) { name in
                guard name < bytes.count else { return .needMore }
                let byte = bytes[name] | 0x20
                return byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? .fromClient : .no
            } ?? .no
        } ?? .no
    }

    /// "+OK\r\n", "-ERR unknown command ...", "-WRONGPASS ...": an uppercase word.
    private static func status(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        var index = 1
        while index < bytes.count && bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z") { index += 1 }
        guard index < bytes.count else { return .needMore }
        guard index > 1 else { return .no }
        switch bytes[index] {
        case 0x0D: return index + 1 < bytes.count ? (bytes[index + 1] == 0x0A ? .fromServer : .no) : .needMore
        case 0x20: return bytes[0] == UInt8(ascii: "-") ? .fromServer : .no
        default: return .no
        }
    }

    private static let inlineCommands: [[UInt8]] = ["PING", "ping", "HELLO", "hello", "AUTH", "auth"].map { Array($0.utf8) }

    private static func inline(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        var partial = false
        for command in inlineCommands {
            if bytes.count > command.count {
                let next = bytes[command.count]
                if zip(bytes, command).allSatisfy({ $0 == $1 }) && (next == 0x20 || next == 0x0D) { return .fromClient }
            } else if zip(bytes, command).allSatisfy({ $0 == $1 }) {
                partial = true
            }
        }
        return partial ? .needMore : .no
    }
}
