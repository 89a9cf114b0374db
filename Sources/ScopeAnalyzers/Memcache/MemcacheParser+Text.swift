/// The text half of `MemcacheParser`: what a complete line does to the
/// message being assembled.
extension MemcacheParser {
    mutating func line(_ line: UnsafeRawBufferPointer, consumed: Int, timestamp: UInt64) -> Output? {
        if isRequest {
            current = MemcacheMessage(isRequest: true, binary: false, command: "")
            let request = MemcacheTextLine.request(line, strict: strict, redact: redact, into: &current!)
            guard request != .rejected else { return skip(consumed) }
            strict = false
            guard case .dataBlock(let length) = request else { return .message(sealCurrent(timestamp: timestamp)) }
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
            if current.isSome {
                if word == "END" { return .message(sealCurrent(timestamp: timestamp)) }
                // A multi-line response cut short (an error mid-way): both are reported.
                current!.notes.append("ended without END")
                let lineBytes = UInt64(line.count &+ 2)
                messageBytes = messageBytes > lineBytes ? messageBytes &- lineBytes : 0
                let done = sealCurrent(timestamp: timestamp)
                messageBytes = lineBytes
                openResponse(word: word, errorMessage: errorMessage, version: version, value: value)
                deferred = sealCurrent(timestamp: timestamp)
                return .message(done)
            }
            openResponse(word: word, errorMessage: errorMessage, version: version, value: value)
            return .message(sealCurrent(timestamp: timestamp))
        }
    }

    /// A one-line response in `current`, field by field: an initializer
    /// taking these fields made the message twice and copied one over the other.
    private mutating func openResponse(word: String, errorMessage: String?, version: String?, value: UInt64?) {
        current = MemcacheMessage(isRequest: false, binary: false, command: word)
        current!.word = word
        current!.errorMessage = errorMessage
        current!.version = version
        current!.numericValue = value
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
