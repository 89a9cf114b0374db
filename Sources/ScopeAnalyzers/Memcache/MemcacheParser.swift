/// Incremental parser of one direction of a memcached connection (or of
/// one UDP request/response), text and binary mixed: lines and binary
/// headers + keys are buffered (≤ `limit`), data blocks and binary values
/// are only counted. After a lost gap or at a mid-stream start it is
/// strict: only known commands / response words / plausible binary
/// headers start a message; anything else is skipped to the next LF.
struct MemcacheParser {
    enum Output: Equatable {
        case message(MemcacheMessage)
        /// A line or header over the limit (`oversized`) or unparseable.
        case failed(oversized: Bool)
    }

    struct Step {
        var consumed: Int
        var output: Output?
    }

    enum GapResult {
        /// Inside a data block or value of known length: nothing lost but
        /// value bytes; the message may have completed.
        case absorbed(MemcacheMessage?)
        /// Message framing lost; the partial message, if any.
        case lost(MemcacheMessage?)
    }

    fileprivate enum State: Equatable {
        case idle
        case textLine
        /// Data block left, including its CRLF.
        case data(remaining: Int)
        case binaryHeader
        case binaryBody(extrasAndKey: Int)
        /// Binary value bytes left.
        case value(remaining: Int)
        /// Dropping bytes up to the next LF.
        case resync
    }

    let isRequest: Bool
    let redact: Bool
    private var buffer: StreamBuffer
    private var state = State.idle
    private var strict: Bool
    /// The message being assembled (a multi-line text response, binary
    /// stat entries, a request awaiting its data block).
    private var current: MemcacheMessage?
    private var header: MemcacheBinaryHeader?
    private var deferred: MemcacheMessage?
    private var messageStart: UInt64 = 0
    private var messageBytes: UInt64 = 0
    /// Text VA (meta) response: complete after its one data block.
    private var singleValue = false
    /// The open message gathers binary stat entries until the empty one.
    private var openStats = false
    private var ownSkipped: UInt64 = 0
    private var droppedReported: UInt64 = 0
    /// Binary keys/extras over the limit (their message is still reported).
    private(set) var oversized: UInt64 = 0

    init(isRequest: Bool, limit: Int, redact: Bool, strict: Bool = true) {
        self.isRequest = isRequest
        self.redact = redact
        self.strict = strict
        buffer = StreamBuffer(limit: limit)
    }

    var isIdle: Bool { state == .idle && current == nil }
    var hasDeferred: Bool { deferred != nil }

    /// Bytes skipped since the last call (resynchronisation, overflows).
    mutating func takeSkipped() -> UInt64 {
        let dropped = buffer.droppedBytes
        defer {
            ownSkipped = 0
            droppedReported = dropped
        }
        return ownSkipped &+ (dropped &- droppedReported)
    }

    mutating func takeOversized() -> UInt64 {
        defer { oversized = 0 }
        return oversized
    }

    mutating func advance(_ bytes: UnsafeRawBufferPointer, from start: Int, timestamp: UInt64) -> Step {
        if let message = deferred {
            deferred = nil
            return Step(consumed: 0, output: .message(message))
        }
        var offset = start
        while offset < bytes.count {
            let before = offset
            var output: Output?
            switch state {
            case .idle:
                if current == nil {
                    messageStart = timestamp
                    messageBytes = 0
                }
                let magic = isRequest ? MemcacheBinaryHeader.requestMagic : MemcacheBinaryHeader.responseMagic
                state = bytes[offset] == magic && current?.binary != false ? .binaryHeader : .textLine
                continue
            case .textLine:
                let scan = buffer.scanLine(bytes, from: offset)
                offset &+= scan.consumed
                messageBytes &+= UInt64(scan.consumed)
                switch scan.piece {
                case .incomplete: break
                case .overflowed:
                    output = .failed(oversized: true)
                    current = nil
                    strict = true
                    if buffer.isEmpty { state = .idle }
                case .discarded: state = .idle
                case .inInput(let range):
                    output = line(UnsafeRawBufferPointer(rebasing: bytes[range]), consumed: scan.consumed, timestamp: timestamp)
                case .inPending:
                    var pending = buffer.takePending()
                    // Counted as ending in CRLF (the CR is gone from the buffer).
                    output = pending.withUnsafeBytes { line($0, consumed: $0.count &+ 2, timestamp: timestamp) }
                    buffer.restore(&pending)
                }
            case .data(let remaining), .value(let remaining):
                let take = min(remaining, bytes.count &- offset)
                offset &+= take
                messageBytes &+= UInt64(take)
                output = bodyDone(remaining &- take, timestamp: timestamp)
            case .binaryHeader:
                let scan = buffer.collect(bytes, from: offset, total: MemcacheBinaryHeader.size)
                offset &+= scan.consumed
                messageBytes &+= UInt64(scan.consumed)
                switch scan.piece {
                case .inInput(let range): output = binaryHeader(UnsafeRawBufferPointer(rebasing: bytes[range]), timestamp)
                case .inPending:
                    var pending = buffer.takePending()
                    output = pending.withUnsafeBytes { binaryHeader($0, timestamp) }
                    buffer.restore(&pending)
                default: break
                }
            case .binaryBody(let total):
                let scan = buffer.collect(bytes, from: offset, total: total)
                offset &+= scan.consumed
                messageBytes &+= UInt64(scan.consumed)
                switch scan.piece {
                case .inInput(let range): output = binaryBody(UnsafeRawBufferPointer(rebasing: bytes[range]), timestamp)
                case .inPending:
                    var pending = buffer.takePending()
                    output = pending.withUnsafeBytes { binaryBody($0, timestamp) }
                    buffer.restore(&pending)
                default: break
                }
            case .resync:
                var end = offset
                while end < bytes.count && bytes[end] != 0x0A { end &+= 1 }
                if end < bytes.count {
                    end &+= 1
                    state = .idle
                }
                ownSkipped &+= UInt64(end &- offset)
                offset = end
            }
            if let output { return Step(consumed: offset &- start, output: output) }
            if offset == before && state != .idle { break }  // never spin
        }
        return Step(consumed: offset &- start, output: nil)
    }

    /// `length` bytes of this direction are lost.
    mutating func gap(length: Int, timestamp: UInt64) -> GapResult {
        switch state {
        case .data(let remaining) where length <= remaining, .value(let remaining) where length <= remaining:
            messageBytes &+= UInt64(length)
            if case .message(let done)? = bodyDone(remaining &- length, timestamp: timestamp) { return .absorbed(done) }
            return .absorbed(nil)
        default:
            let partial = finish(note: "incomplete: \(length) bytes lost in a gap", timestamp: timestamp)
            strict = true
            return .lost(partial)
        }
    }

    /// End of stream (or of a datagram): the message still in progress.
    mutating func finish(note: String, timestamp: UInt64) -> MemcacheMessage? {
        var partial = deferred
        if deferred == nil, var open = current {
            open.notes.append(note)
            partial = complete(open, timestamp: timestamp)
        }
        deferred = nil
        openStats = false
        current = nil
        header = nil
        singleValue = false
        buffer.reset()
        state = .idle
        return partial
    }

    // MARK: - Text

    private mutating func line(_ line: UnsafeRawBufferPointer, consumed: Int, timestamp: UInt64) -> Output? {
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

    private mutating func skip(_ count: Int) -> Output? {
        ownSkipped &+= UInt64(count)
        state = .idle
        current = nil
        let wasStrict = strict
        strict = true
        return wasStrict || count == 0 ? nil : .failed(oversized: false)
    }

    private mutating func bodyDone(_ remaining: Int, timestamp: UInt64) -> Output? {
        guard remaining == 0 else {
            state = state.isValue ? .value(remaining: remaining) : .data(remaining: remaining)
            return nil
        }
        if state.isValue { return binaryDone(timestamp) }
        guard var message = current else { state = .idle; return nil }
        if isRequest || singleValue {
            singleValue = false
            current = nil
            message = complete(message, timestamp: timestamp)
            return .message(message)
        }
        state = .textLine  // more VALUE blocks, then END
        return nil
    }

    private mutating func complete(_ message: MemcacheMessage, timestamp: UInt64) -> MemcacheMessage {
        var message = message
        message.start = messageStart
        message.end = timestamp
        message.bytes = messageBytes
        current = nil
        state = .idle
        return message
    }
}

extension MemcacheParser {
    // MARK: - Binary

    private mutating func binaryHeader(_ bytes: UnsafeRawBufferPointer, _ timestamp: UInt64) -> Output? {
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

    private mutating func binaryBody(_ bytes: UnsafeRawBufferPointer, _ timestamp: UInt64) -> Output? {
        guard let header else { state = .idle; return nil }
        return startValue(header.message(extrasAndKey: bytes), timestamp)
    }

    private mutating func startValue(_ message: MemcacheMessage, _ timestamp: UInt64, skipping: Int? = nil) -> Output? {
        var message = message
        let length = skipping ?? max(0, header?.valueLength ?? 0)
        if message.valueBytes > 0 && (message.isRequest || message.statusCode == 0) { message.countValues = 1 }
        let statEntry = !message.isRequest && message.opcode == 0x10 && message.keyCount > 0 && message.statusCode == 0
        if openStats, var open = current {
            // Binary stats: one response per statistic, then one with no key.
            if statEntry { open.countValues &+= 1 }
            open.valueBytes &+= message.valueBytes
            current = open
        } else {
            if statEntry {
                message.countValues = 1
                message.keys = []
                message.keyCount = 0
            }
            current = message
        }
        openStats = statEntry
        state = .value(remaining: length)
        return length == 0 ? binaryDone(timestamp) : nil
    }

    private mutating func binaryDone(_ timestamp: UInt64) -> Output? {
        guard var message = current else { state = .idle; return nil }
        header = nil
        if openStats {
            state = .idle  // more statistics follow; the message stays open
            return nil
        }
        if !message.isRequest && message.opcode == 0x10 { message.keys = [] }
        return .message(complete(message, timestamp: timestamp))
    }
}

extension MemcacheParser.State {
    fileprivate var isValue: Bool {
        if case .value = self { return true }
        return false
    }
}
