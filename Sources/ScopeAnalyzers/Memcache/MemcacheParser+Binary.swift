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

    /// Header, extras and key read: the message is made in `current` (see
    /// `sealCurrent`), then its value is counted. `keyOverLimit`: extras and key
    /// were not read but are skipped with the value.
    private mutating func startValue(_ header: MemcacheBinaryHeader, extrasAndKey: UnsafeRawBufferPointer?,
                                     _ timestamp: UInt64, keyOverLimit: Bool = false) -> Output? {
        let length = keyOverLimit ? header.bodyLength : max(0, header.valueLength)
        if openStats, current.isSome {
            // Binary stats: one response per statistic, then one with no key.
            let entry = MemcacheMessage(header, extrasAndKey: extrasAndKey)
            openStats = entry.isStatEntry
            if openStats { current!.countValues &+= 1 }
            current!.valueBytes &+= keyOverLimit ? UInt64(header.bodyLength) : entry.valueBytes
        } else {
            current = MemcacheMessage(header, extrasAndKey: extrasAndKey)
            if keyOverLimit {
                current!.notes.append("key and extras over \(buffer.limit) bytes, not read")
                current!.valueBytes = UInt64(header.bodyLength)
            }
            if current!.valueBytes > 0 && (current!.isRequest || current!.statusCode == 0) { current!.countValues = 1 }
            openStats = current!.isStatEntry
            if openStats {
                current!.countValues = 1
                current!.dropKeys()
                current!.keyCount = 0
            }
        }
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
        if !current!.isRequest && current!.opcode == 0x10 { current!.dropKeys() }
        return .message(sealCurrent(timestamp: timestamp))
    }
}

extension MemcacheParser.State {
    var isValue: Bool {
        if case .value = self { return true }
        return false
    }
}
