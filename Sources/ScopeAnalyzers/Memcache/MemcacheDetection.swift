/// Content detection for memcached from the first bytes of a direction:
/// a binary header that adds up (magic 0x80 from the client, 0x81 from the
/// server), a lowercase text command followed by a space or line end, or a
/// response word specific to memcached. Generic words ("OK", "ERROR") and
/// anything uppercase that HTTP could start with are not claimed.
enum MemcacheDetection {
    /// Commands that end at the line end when they take no argument.
    private static let bareCommands: Set<String> = ["stats", "version", "quit", "flush_all", "mn", "verbosity"]
    /// Server words that are complete lines on their own.
    private static let lineResponses: Set<String> = ["END", "STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "TOUCHED"]
    private static let spacedResponses: Set<String> = ["VALUE", "STAT", "VERSION", "CLIENT_ERROR", "SERVER_ERROR"]

    static func matchStream(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard let first = bytes.first else { return .needMore }
        if first == MemcacheBinaryHeader.requestMagic || first == MemcacheBinaryHeader.responseMagic {
            if bytes.count < 2 { return .needMore }
            guard MemcacheNames.knownOpcode(bytes[1]) else { return .no }
            if bytes.count < 16 { return .needMore }
            guard MemcacheBinaryHeader.plausible(bytes, magic: first) else { return .no }
            return first == MemcacheBinaryHeader.requestMagic ? .fromClient : .fromServer
        }
        var end = 0
        while end < bytes.count && end < 16, bytes[end] != 0x20 && bytes[end] != 0x0D && bytes[end] != 0x0A { end &+= 1 }
        let word = String(decoding: bytes[..<end], as: UTF8.self)
        guard end < bytes.count && end < 16 else {
            // No terminator yet: wait while the word could still become one.
            let candidates = MemcacheTextLine.requestCommands.union(lineResponses).union(spacedResponses)
            return end < 16 && candidates.contains(where: { $0.hasPrefix(word) }) ? .needMore : .no
        }
        let spaced = bytes[end] == 0x20
        if MemcacheTextLine.requestCommands.contains(word) {
            guard spaced || bareCommands.contains(word) else { return .no }
            // A command with arguments needs one: "get " then a key byte.
            if spaced && end &+ 1 >= bytes.count { return .needMore }
            return spaced && (bytes[end &+ 1] == 0x20 || bytes[end &+ 1] == 0x0D) ? .no : .fromClient
        }
        if spacedResponses.contains(word) { return spaced ? .fromServer : .no }
        if lineResponses.contains(word) {
            if bytes[end] == 0x0D && end &+ 1 >= bytes.count { return .needMore }
            return !spaced ? .fromServer : .no
        }
        return .no
    }

    /// UDP: the 8-byte frame header (sequence below the total, reserved
    /// zero), then a request or response that starts a message.
    static func matchDatagram(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard let frame = MemcacheUDPFrame(bytes), frame.sequence == 0 else { return .no }
        let match = matchStream(UnsafeRawBufferPointer(rebasing: bytes[MemcacheUDPFrame.size...]))
        return match == .needMore ? .no : match
    }
}

/// The frame header memcached puts before every UDP datagram.
struct MemcacheUDPFrame {
    static let size = 8
    var requestID: UInt16
    var sequence: UInt16
    var total: UInt16

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > Self.size else { return nil }
        requestID = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        sequence = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        total = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        guard total > 0, sequence < total, bytes[6] == 0, bytes[7] == 0 else { return nil }
    }
}
