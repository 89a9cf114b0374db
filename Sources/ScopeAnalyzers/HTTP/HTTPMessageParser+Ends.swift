/// How a direction copes with lost bytes, limits and the end of its stream.
extension HTTPMessageParser {
    typealias GapOutcome = StreamGap<HTTPMessage>

    mutating func gap(length: Int, timestamp: UInt64) -> GapOutcome {
        let size = UInt64(length)
        switch state {
        case .body(let remaining) where size <= remaining:
            noteGap(size)
            if size == remaining {
                _ = complete(at: timestamp)
                return .absorbed(takeMessage())
            }
            enterState(.body(remaining: remaining &- size))
            return .absorbed(nil)
        case .chunkData(let remaining) where size <= remaining:
            noteGap(size)
            enterState(size == remaining ? .chunkDataEnd : .chunkData(remaining: remaining &- size))
            return .absorbed(nil)
        case .untilClose:
            noteGap(size)
            return .absorbed(nil)
        case .tunnel:
            return .absorbed(nil)
        case .idle, .resync:
            lines.reset()
            skippedBytes &+= lineBytes &+ size
            lineBytes = 0
            enterState(.resync)
            return .lost(nil)
        case .headers:
            lines.reset()
            skippedBytes &+= message.bytes &+ lineBytes &+ size
            lineBytes = 0
            enterState(.resync)
            return .lost(nil)
        default:
            // Inside chunk framing or trailers, or a gap longer than the body left.
            lines.reset()
            lineBytes = 0
            message.complete = false
            message.notes.append("\(length) bytes lost in a gap; message end unknown")
            message.end = timestamp
            let partial = message
            message = HTTPMessage(isRequest: isRequest)
            enterState(.resync)
            return .lost(partial)
        }
    }

    private mutating func noteGap(_ size: UInt64) {
        message.bodyBytes &+= size
        message.bytes &+= size
        message.notes.append("\(size) body bytes lost in a gap")
    }

    /// End of stream: a close-delimited body is complete now; any other
    /// message with a known head is returned cut short.
    mutating func finish(reason: String) -> HTTPMessage? {
        if isRequest, state == .idle, let partial = unfinishedRequestLine(reason: reason) {
            lines.reset()
            return partial
        }
        lines.reset()
        switch state {
        case .untilClose:
            _ = complete(at: lastByteTime)
            return takeMessage()
        case .body, .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            message.complete = false
            message.notes.append("\(message.isRequest ? "request" : "response") incomplete at \(reason)")
            message.end = lastByteTime
            let partial = message
            message = HTTPMessage(isRequest: isRequest)
            enterState(.idle)
            return partial
        case .headers:
            // The head never finished: what arrived of it is still a request
            // (or response) someone sent, reported cut short.
            message.complete = false
            message.notes.append("\(message.isRequest ? "request" : "response") incomplete at \(reason): headers not finished")
            message.end = lastByteTime
            let partial = message
            message = HTTPMessage(isRequest: isRequest)
            enterState(.idle)
            return partial
        default:
            return nil
        }
    }

    /// A request line cut off by the end of the stream ("GET /pa"), when it
    /// starts with a known method: its method and as much target as came.
    private mutating func unfinishedRequestLine(reason: String) -> HTTPMessage? {
        guard !lines.pending.isEmpty else { return nil }
        return lines.pending.withUnsafeBytes { line -> HTTPMessage? in
            guard HTTPDetection.match(line) == .fromClient, let space = line.firstIndex(of: 0x20) else { return nil }
            var target = space &+ 1
            while target < line.count && line[target] == 0x20 { target &+= 1 }
            var targetEnd = target
            while targetEnd < line.count && line[targetEnd] > 0x20 && line[targetEnd] != 0x7F { targetEnd &+= 1 }
            var partial = HTTPMessage(isRequest: true)
            partial.method = HTTPSyntax.method(line, 0..<space)
            partial.target = HTTPSyntax.text(line, target..<targetEnd)
            partial.start = lineStart
            partial.end = lastByteTime
            partial.bytes = UInt64(line.count)
            partial.headerBytes = partial.bytes
            partial.complete = false
            partial.notes.append("request incomplete at \(reason): request line not finished")
            lineBytes = 0
            return partial
        }
    }

    /// A line past `maxHeaderBytes`: skipped, and the message with it.
    mutating func overflowedLine() -> Output? {
        let size = lineBytes
        lineBytes = 0
        switch state {
        case .idle, .resync:
            skippedBytes &+= size
            let first = state == .idle
            enterState(.resync)
            return first ? .failed(oversized: true) : nil
        default:
            message.bytes &+= size
            return abandon(oversized: true)
        }
    }
}
