/// Finding the next message boundary after garbage, an unabsorbable gap or
/// a start in the middle of a message: a byte-at-a-time match of a pattern
/// that is rare inside other data — ReadyForQuery (`Z 00000005` and I/T/E)
/// from the server; Sync (`S 00000004`) or a Query under 64 KiB
/// (`Q 0000xxxx`) from the client. Nothing is buffered while scanning.
extension PgSQLFrameParser {
    mutating func resync(_ input: UnsafeRawBufferPointer, from start: Int, timestamp: UInt64) -> Step {
        var index = start
        while index < input.count {
            let byte = input[index]
            index &+= 1
            skippedBytes &+= 1
            if let output = feedResync(byte, timestamp: timestamp) {
                let pattern = UInt64(fromClient ? 5 : 6)
                skippedBytes = skippedBytes >= pattern ? skippedBytes &- pattern : 0
                mode = .messages
                strict = false
                return Step(consumed: index &- start, output: output)
            }
            if mode == .messages { return Step(consumed: index &- start, output: nil) }  // inside a Query body
        }
        return Step(consumed: index &- start, output: nil)
    }

    /// One byte through the resynchronisation pattern; the frame it
    /// completes (Sync, ReadyForQuery), or nil (a Query switches to its body).
    mutating func feedResync(_ byte: UInt8, timestamp: UInt64) -> Output? {
        let matched = resyncMatched
        var next = matched &+ 1
        switch (fromClient, matched) {
        case (_, 0): next = 0
        case (_, 1), (_, 2): if byte != 0 { next = 0 }
        case (true, 3):
            if resyncType == PgSQLType.sync { if byte != 0 { next = 0 } } else { resyncLength = Int(byte) << 8 }
        case (true, 4):
            if resyncType == PgSQLType.sync {
                if byte == 4 { return resyncFrame(PgSQLType.sync, length: 5, body: [], timestamp: timestamp) }
            } else if Int(byte) | resyncLength >= 5 && Int(byte) | resyncLength <= maxMessage {
                var frame = PgSQLFrame(type: PgSQLType.query, length: (Int(byte) | resyncLength) &+ 1,
                                       start: timestamp, end: timestamp)
                keep = (Int(byte) | resyncLength) &- 4
                skipLeft = 0
                frame.bodyComplete = true
                current = frame
                resyncMatched = 0
                mode = .messages
                strict = false
                skippedBytes = skippedBytes >= 5 ? skippedBytes &- 5 : 0
                return nil
            }
            next = 0
        case (false, 3): if byte != 0 { next = 0 }
        case (false, 4): if byte != 5 { next = 0 }
        case (false, 5):
            if byte == UInt8(ascii: "I") || byte == UInt8(ascii: "T") || byte == UInt8(ascii: "E") {
                return resyncFrame(PgSQLType.readyForQuery, length: 6, body: [byte], timestamp: timestamp)
            }
            next = 0
        default: next = 0
        }
        if next == 0 {
            let starts = fromClient ? (byte == PgSQLType.sync || byte == PgSQLType.query) : byte == PgSQLType.readyForQuery
            if starts { resyncType = byte }
            next = starts ? 1 : 0
        }
        resyncMatched = next
        return nil
    }

    private mutating func resyncFrame(_ type: UInt8, length: Int, body: [UInt8], timestamp: UInt64) -> Output {
        resyncMatched = 0
        return .frame(PgSQLFrame(type: type, length: length, body: body, start: timestamp, end: timestamp))
    }
}
