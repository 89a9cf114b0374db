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
        if head == 0 { return startValue(parsed, extrasAndKey: nil, timestamp) }
        if head <= buffer.limit {
            state = .binaryBody(extrasAndKey: head)
            return nil
        }
        oversized &+= 1
        return startValue(parsed, extrasAndKey: nil, timestamp, keyOverLimit: true)
    }

    mutating func binaryBody(_ bytes: UnsafeRawBufferPointer, _ timestamp: UInt64) -> Output? {
        guard let header else { state = .idle; return nil }
        return startValue(header, extrasAndKey: bytes, timestamp)
    }

    /// Header, extras and key read: the message is made in place (built
    /// elsewhere and handed over, it was copied in and the original
    /// destroyed), then its value is counted. `keyOverLimit`: extras and key
    /// were not read but are skipped with the value.
    private mutating func startValue(_ header: MemcacheBinaryHeader, extrasAndKey: UnsafeRawBufferPointer?,
                                     _ timestamp: UInt64, keyOverLimit: Bool = false) -> Output? {
        var message = MemcacheMessage(header, extrasAndKey: extrasAndKey)
        if keyOverLimit {
            message.notes.append("key and extras over \(buffer.limit) bytes, not read")
            message.valueBytes = UInt64(header.bodyLength)
        }
        let length = keyOverLimit ? header.bodyLength : max(0, header.valueLength)
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
        // Changed in place and taken as the argument: a local copy was copied again into `complete`.
        if !current!.isRequest && current!.opcode == 0x10 { current!.dropKeys() }
        return .message(complete(current.take()!, timestamp: timestamp))
    }
}

extension MemcacheParser.State {
    var isValue: Bool {
        if case .value = self { return true }
        return false
    }
}
