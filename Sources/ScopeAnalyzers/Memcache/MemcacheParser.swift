/// Incremental parser of one direction of a memcached connection (or of
/// one UDP request/response), text and binary mixed: lines and binary
/// headers + keys are buffered (≤ `limit`), data blocks and binary values
/// are only counted. After a lost gap or at a mid-stream start it is
/// strict: only known commands / response words / plausible binary
/// headers start a message; anything else is skipped to the next LF.
struct MemcacheParser {
    enum Output {
        case message(MemcacheMessage.Sealed)
        /// A line or header over the limit (`oversized`) or unparseable.
        case failed(oversized: Bool)
    }

    struct Step {
        var consumed: Int
        var output: Output?
    }

    typealias GapResult = StreamGap<MemcacheMessage.Sealed>

    enum State: Equatable {
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
    var buffer: StreamBuffer
    var state = State.idle
    var strict: Bool
    /// The message being assembled (a multi-line text response, binary
    /// stat entries, a request awaiting its data block).
    var current: MemcacheMessage?
    var header: MemcacheBinaryHeader?
    var deferred: MemcacheMessage.Sealed?
    var messageStart: UInt64 = 0
    var messageBytes: UInt64 = 0
    /// Text VA (meta) response: complete after its one data block.
    var singleValue = false
    /// The open message gathers binary stat entries until the empty one.
    var openStats = false
    var ownSkipped: UInt64 = 0
    private var droppedReported: UInt64 = 0
    /// Binary keys/extras over the limit (their message is still reported).
    var oversized: UInt64 = 0

    init(isRequest: Bool, limit: Int, redact: Bool, strict: Bool = true) {
        self.isRequest = isRequest
        self.redact = redact
        self.strict = strict
        buffer = StreamBuffer(limit: limit)
    }

    var isIdle: Bool { state == .idle && !current.isSome }
    var hasDeferred: Bool { deferred.isSome }

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
                if !current.isSome {
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
    mutating func finish(note: String, timestamp: UInt64) -> MemcacheMessage.Sealed? {
        var partial = deferred
        if !deferred.isSome, current.isSome {
            current!.notes.append(note)
            partial = sealCurrent(timestamp: timestamp)
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

    mutating func bodyDone(_ remaining: Int, timestamp: UInt64) -> Output? {
        guard remaining == 0 else {
            state = state.isValue ? .value(remaining: remaining) : .data(remaining: remaining)
            return nil
        }
        if state.isValue { return binaryDone(timestamp) }
        guard current.isSome else { state = .idle; return nil }
        if isRequest || singleValue {
            singleValue = false
            return .message(sealCurrent(timestamp: timestamp))
        }
        state = .textLine  // more VALUE blocks, then END
        return nil
    }

    /// The message in `current`, finished there and sealed. Every message
    /// is made in `current`, changed in place and moved out once: made
    /// elsewhere and handed in or out, it was copied whole and the original
    /// destroyed (callgrind: about 400 instructions a time).
    mutating func sealCurrent(timestamp: UInt64) -> MemcacheMessage.Sealed {
        current!.start = messageStart
        current!.end = timestamp
        current!.bytes = messageBytes
        state = .idle
        return MemcacheMessage.Sealed(current.take()!)
    }
}
