/// The text half of `MemcacheParser`: what a complete line does to the
/// message being assembled.
extension MemcacheParser {
    mutating func line(_ line: UnsafeRawBufferPointer, consumed: Int, timestamp: UInt64) -> Output? {
        if isRequest {
            var message = MemcacheMessage(isRequest: true, binary: false, command: "")
            let request = MemcacheTextLine.request(line, strict: strict, redact: redact, into: &message)
            guard request != .rejected else { return skip(consumed) }
            strict = false
            guard case .dataBlock(let length) = request else { return .message(complete(message, timestamp: timestamp)) }
            current = message
            state = .data(remaining: length &+ 2)
            return nil
        }
        guard let piece = MemcacheTextLine.response(line, strict: strict) else { return skip(consumed) }
        strict = false
        switch piece {
        case .value(let key, let length, let flags, let cas):
            // Changed in place: the open message is never copied out and back.
            if !current.isSome { current = MemcacheMessage(isRequest: false, binary: false, command: key == nil ? "VA" : "VALUE") }
            current!.word = current!.command
            current!.countValues &+= 1
            current!.valueBytes &+= UInt64(length)
            if let key { current!.addKey(key) }
            if current!.flags == nil { current!.flags = flags }
            if current!.cas == nil { current!.cas = cas }
            singleValue = key == nil
            state = .data(remaining: length &+ 2)
            return nil
        case .stat:
            if !current.isSome { current = MemcacheMessage(isRequest: false, binary: false, command: "STAT") }
            current!.word = current!.command
            current!.countValues &+= 1
            state = .textLine
            return nil
        case .final(let word, let errorMessage, let version, let value):
            // Made where it is handed on: a message bound to a name first was copied into `complete`.
            guard current.isSome else {
                return .message(complete(MemcacheMessage(word: word, errorMessage: errorMessage, version: version, value: value),
                                         timestamp: timestamp))
            }
            if word == "END" { return .message(complete(current.take()!, timestamp: timestamp)) }
            // A multi-line response cut short (an error mid-way): both are reported.
            var cut = current.take()!
            cut.notes.append("ended without END")
            let lineBytes = UInt64(line.count &+ 2)
            messageBytes = messageBytes > lineBytes ? messageBytes &- lineBytes : 0
            let done = complete(cut, timestamp: timestamp)
            messageBytes = lineBytes
            deferred = complete(MemcacheMessage(word: word, errorMessage: errorMessage, version: version, value: value),
                                timestamp: timestamp)
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
