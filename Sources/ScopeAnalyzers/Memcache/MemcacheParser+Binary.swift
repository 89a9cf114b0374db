/// The binary half of `MemcacheParser`: header, then extras and key
/// (buffered, ≤ the limit), then the value (counted). Binary stats arrive as
/// one packet per statistic and are gathered into one message.
extension MemcacheParser {
    // MARK: - Binary

    mutating func binaryHeader(_ bytes: UnsafeRawBufferPointer, _ timestamp: UInt64) -> Output? {
        let magic = isRequest ? MemcacheBinaryHeader.requestMagic : MemcacheBinaryHeader.responseMagic
        guard let parsed = MemcacheBinaryHeader(bytes), parsed.magic == magic,
              !strict || MemcacheBinaryHeader.plausible(bytes, magic: magic) else {
            let wasStrict = strict
            strict = true
            ownSkipped &+= UInt64(bytes.count)
            current = nil
            openStats = false
            state = .resync
            return wasStrict ? nil : .failed(oversized: false)
        }
        strict = false
        header = parsed
        let head = parsed.extrasLength &+ parsed.keyLength
        if head == 0 { return startValue(parsed.message(extrasAndKey: nil), timestamp) }
        if head <= buffer.limit {
            state = .binaryBody(extrasAndKey: head)
            return nil
        }
        var message = parsed.message(extrasAndKey: nil)
        message.notes.append("key and extras over \(buffer.limit) bytes, not read")
        oversized &+= 1
        message.valueBytes = UInt64(parsed.bodyLength)
        return startValue(message, timestamp, skipping: parsed.bodyLength)
    }

    mutating func binaryBody(_ bytes: UnsafeRawBufferPointer, _ timestamp: UInt64) -> Output? {
        guard let header else { state = .idle; return nil }
        return startValue(header.message(extrasAndKey: bytes), timestamp)
    }

    private mutating func startValue(_ message: consuming MemcacheMessage, _ timestamp: UInt64, skipping: Int? = nil) -> Output? {
        let length = skipping ?? max(0, header?.valueLength ?? 0)
        if message.valueBytes > 0 && (message.isRequest || message.statusCode == 0) { message.countValues = 1 }
        let statEntry = !message.isRequest && message.opcode == 0x10 && message.keyCount > 0 && message.statusCode == 0
        if openStats, current.isSome {
            // Binary stats: one response per statistic, then one with no key.
            if statEntry { current!.countValues &+= 1 }
            current!.valueBytes &+= message.valueBytes
        } else {
            if statEntry {
                message.countValues = 1
                message.dropKeys()
                message.keyCount = 0
            }
            current = message
        }
        openStats = statEntry
        state = .value(remaining: length)
        return length == 0 ? binaryDone(timestamp) : nil
    }

    mutating func binaryDone(_ timestamp: UInt64) -> Output? {
        guard current.isSome else { state = .idle; return nil }
        header = nil
        if openStats {
            state = .idle  // more statistics follow; the message stays open
            return nil
        }
        var message = current.take()!
        if !message.isRequest && message.opcode == 0x10 { message.dropKeys() }
        return .message(complete(message, timestamp: timestamp))
    }
}

extension MemcacheParser.State {
    var isValue: Bool {
        if case .value = self { return true }
        return false
    }
}
