/// The text half of `MemcacheParser`: what a complete line does to the
/// message being assembled.
extension MemcacheParser {
    mutating func line(_ line: UnsafeRawBufferPointer, consumed: Int, timestamp: UInt64) -> Output? {
        if isRequest {
            guard let (message, dataLength) = MemcacheTextLine.request(line, strict: strict, redact: redact) else {
                return skip(consumed)
            }
            strict = false
            guard let dataLength else { return .message(complete(message, timestamp: timestamp)) }
            current = message
            state = .data(remaining: dataLength &+ 2)
            return nil
        }
        guard let piece = MemcacheTextLine.response(line, strict: strict) else { return skip(consumed) }
        strict = false
        switch piece {
        case .value(let key, let length, let flags, let cas):
            var message = current ?? MemcacheMessage(isRequest: false, binary: false, command: key == nil ? "VA" : "VALUE")
            message.word = message.command
            message.countValues &+= 1
            message.valueBytes &+= UInt64(length)
            if let key { message.addKey(key) }
            if message.flags == nil { message.flags = flags }
            if message.cas == nil { message.cas = cas }
            singleValue = key == nil
            current = message
            state = .data(remaining: length &+ 2)
            return nil
        case .stat:
            var message = current ?? MemcacheMessage(isRequest: false, binary: false, command: "STAT")
            message.word = message.command
            message.countValues &+= 1
            current = message
            state = .textLine
            return nil
        case .final(let message):
            guard let open = current else { return .message(complete(message, timestamp: timestamp)) }
            if message.word == "END" { return .message(complete(open, timestamp: timestamp)) }
            // A multi-line response cut short (an error mid-way): both are reported.
            var cut = open
            cut.notes.append("ended without END")
            let lineBytes = UInt64(line.count &+ 2)
            messageBytes = messageBytes > lineBytes ? messageBytes &- lineBytes : 0
            let done = complete(cut, timestamp: timestamp)
            messageBytes = lineBytes
            deferred = complete(message, timestamp: timestamp)
            return .message(done)
        }
    }

    mutating func skip(_ count: Int) -> Output? {
        ownSkipped &+= UInt64(count)
        state = .idle
        current = nil
        let wasStrict = strict
        strict = true
        return wasStrict || count == 0 ? nil : .failed(oversized: false)
    }
}
