/// Incremental RESP2/RESP3 parser for one direction of a connection.
/// Type lines go through the shared bounded `StreamBuffer`; blob payloads
/// (bulk strings, blob errors, verbatim strings) are counted and only their
/// first bytes kept, so a `$1000000000` costs a counter, not memory.
/// Aggregates are tracked as a stack of remaining counts (depth bounded),
/// attributes (`|`) are parsed and left out of the value they annotate.
/// After a gap that cannot be absorbed or a parse error the parser is lost
/// and skips lines until one that can start a message (`*<n>` for commands).
struct RedisParser {
    struct Step {
        var consumed: Int
        var message: RedisMessage?
    }

    /// Absorbed only inside a blob payload of known length, never with a message.
    typealias GapResult = StreamGap<RedisMessage>

    enum State: Equatable {
        case line
        case blob(remaining: Int)
        /// CR LF after a blob; `left` is 2 (expect CR) or 1 (expect LF).
        case blobEnd(left: Int)
        case lost
    }

    struct Level {
        var type: UInt8
        var remaining: Int
        var index = 0
    }

    let isRequest: Bool
    let maxMessageSize: Int
    private(set) var buffer: StreamBuffer
    var state = State.line
    var stack: [Level] = []
    var attributeLevels = 0
    /// The message being read, valid while `reading`. Not an optional:
    /// the value paths change its fields in place, and optional chaining on
    /// a struct this size copied and destroyed the whole message per line.
    var current = RedisMessage(type: 0, start: 0, end: 0)
    var reading = false
    /// The last message's element array, reused for the next message: the
    /// session is done with a message before it asks for the next one, so
    /// this is then the array's only reference and its storage is refilled
    /// instead of allocating a new array (and growing it) per message.
    private var spareElements: [String] = []
    var renderer = RedisRenderer()
    var blobType: UInt8 = 0
    /// Bytes consumed since the last message boundary, and when they began.
    var pendingBytes: UInt64 = 0
    var pendingStart: UInt64?
    /// For the session's counters; it takes and zeroes them.
    var skippedBytes: UInt64 = 0
    var parseErrors: UInt64 = 0
    var oversized: UInt64 = 0
    /// Framing was lost since the session last looked (parse error or an
    /// oversized line): messages may be missing.
    var lostFraming = false
    /// A message was complete: a parse error from now on is a loss, not
    /// the tail of something sent before the capture began.
    var hasParsed = false

    init(isRequest: Bool, configuration: AnalyzerConfiguration) {
        self.isRequest = isRequest
        maxMessageSize = configuration.maxMessageSize
        buffer = StreamBuffer(limit: configuration.maxHeaderBytes)
    }

    mutating func clearTallies() {
        skippedBytes = 0
        parseErrors = 0
        oversized = 0
    }

    /// True while no message is in progress (nothing to lose at a close).
    var isIdle: Bool { !reading && pendingBytes == 0 }

    mutating func advance(_ input: UnsafeRawBufferPointer, from start: Int, timestamp: UInt64) -> Step {
        var offset = start
        while offset < input.count {
            var complete = false  // a Bool, not an optional message per step: see `current`
            switch state {
            case .blob(let remaining):
                let take = min(remaining, input.count &- offset)
                renderer.keep(UnsafeRawBufferPointer(rebasing: input[offset..<(offset &+ take)]))
                note(consumed: take, at: timestamp)
                offset &+= take
                state = take == remaining ? .blobEnd(left: 2) : .blob(remaining: remaining &- take)
            case .blobEnd(let left):
                guard input[offset] == (left == 2 ? 0x0D : 0x0A) else {
                    fail(parseError: true)
                    continue
                }
                note(consumed: 1, at: timestamp)
                offset &+= 1
                if left == 2 { state = .blobEnd(left: 1) } else {
                    state = .line
                    complete = completeBlob(at: timestamp)
                }
            case .line, .lost:
                let scan = buffer.scanLine(input, from: offset)
                note(consumed: scan.consumed, at: timestamp)
                offset &+= scan.consumed
                switch scan.piece {
                case .incomplete:
                    break
                case .inInput(let range):
                    complete = line(UnsafeRawBufferPointer(rebasing: input[range]), at: timestamp)
                case .inPending:
                    var piece = buffer.takePending()
                    complete = piece.withUnsafeBytes { line($0, at: timestamp) }
                    buffer.restore(&piece)
                case .overflowed:
                    if state == .lost { skipPending() } else {
                        oversized &+= 1
                        fail(parseError: false)
                    }
                case .discarded:
                    skipPending()
                }
            }
            if complete { return Step(consumed: offset &- start, message: takeCompleted()) }
        }
        return Step(consumed: offset &- start, message: nil)
    }

    mutating func gap(length: Int, timestamp: UInt64) -> GapResult {
        if case .blob(let remaining) = state, length <= remaining, reading {
            state = length == remaining ? .blobEnd(left: 2) : .blob(remaining: remaining &- length)
            pendingBytes &+= UInt64(length)
            current.notes.append("\(length) bytes lost inside a value")
            renderer.keptIsCut = true
            return .absorbed(nil)
        }
        var partial = reading ? current : nil
        partial?.end = timestamp
        partial?.bytes = pendingBytes
        partial?.rendered = renderer.finish()
        buffer.reset()
        reset(to: .lost)
        pendingBytes = 0
        pendingStart = nil
        return .lost(partial)
    }

    // MARK: - Lines (values: RedisParser+Values.swift)

    /// True when the line completed a message (then in `current`).
    private mutating func line(_ line: UnsafeRawBufferPointer, at timestamp: UInt64) -> Bool {
        if state == .lost {
            guard RedisHeader.canStartMessage(line, request: isRequest) else {
                skipPending()
                return false
            }
            state = .line
        }
        guard let type = line.first else {
            // Servers ignore empty lines between commands.
            if isRequest && !reading { skipPending() } else { fail(parseError: true) }
            return false
        }
        if !reading {
            current = RedisMessage(type: type, elements: takeSpareElements(), start: pendingStart ?? timestamp,
                                   end: timestamp)
            reading = true
            renderer.begin()
        } else if stack.isEmpty {
            current.type = type  // the value an attribute annotated
        }
        if isRequest && stack.isEmpty && type != UInt8(ascii: "*") {
            guard let words = RedisHeader.inlineWords(line) else { return fail(parseError: true) }
            current.type = RedisMessage.inline
            current.elements = words.prefix(RedisLimits.maxElements).map { $0 }
            current.elementCount = words.count
            renderer.append(words.joined(separator: " "))
            return finish(at: timestamp)
        }
        let payload = UnsafeRawBufferPointer(rebasing: line[1...])
        if RESPType.isSimple(type) {
            guard RedisHeader.isValidSimple(type, payload) else { return fail(parseError: true) }
            beginValue(opensAttribute: false)
            return completeScalar(renderer.simpleText(type, payload), at: timestamp)
        }
        guard let count = RESPType.integer(payload) else { return fail(parseError: true) }
        if count == -1 && (type == UInt8(ascii: "$") || type == UInt8(ascii: "*")) {
            beginValue(opensAttribute: false)
            return completeScalar("nil", at: timestamp)  // RESP2 null bulk / null array
        }
        if RESPType.isBlob(type) {
            guard count >= 0 && count <= RedisLimits.maxBulkLength else { return fail(parseError: true) }
            if count > maxMessageSize {
                oversized &+= 1
                current.notes.append("value of \(count) bytes over max_message_size, skipped")
            }
            beginValue(opensAttribute: false)
            blobType = type
            renderer.startKeeping()
            state = count == 0 ? .blobEnd(left: 2) : .blob(remaining: count)
            return false
        }
        guard RESPType.isAggregate(type), count >= 0, count <= RedisLimits.maxAggregateCount,
              stack.count < RedisLimits.maxDepth else { return fail(parseError: true) }
        let isAttribute = type == UInt8(ascii: "|")
        if stack.isEmpty && !isAttribute { current.elements.reserveCapacity(min(count, RedisLimits.maxElements)) }
        beginValue(opensAttribute: isAttribute)
        if stack.count == 1 && attributeLevels == 0 && !isAttribute,
           current.elements.count < RedisLimits.maxElements {
            current.elements.append("")
        }
        let elements = RESPType.isPaired(type) ? count &* 2 : count
        if isAttribute { attributeLevels &+= 1 } else if attributeLevels == 0 { renderer.open(type) }
        stack.append(Level(type: type, remaining: elements))
        return elements == 0 ? completeAggregate(at: timestamp) : false
    }

    // MARK: - Bookkeeping

    /// The spare element array, emptied (its storage kept when unshared).
    private mutating func takeSpareElements() -> [String] {
        var elements = spareElements
        spareElements = []
        elements.removeAll(keepingCapacity: true)
        return elements
    }

    /// Keeps a finished message's element array for the next message.
    mutating func keepElements(of message: RedisMessage) {
        spareElements = message.elements
    }

    private mutating func note(consumed: Int, at timestamp: UInt64) {
        guard consumed > 0 else { return }
        if pendingBytes == 0 { pendingStart = timestamp }
        pendingBytes &+= UInt64(consumed)
    }

    private mutating func skipPending() {
        skippedBytes &+= pendingBytes
        pendingBytes = 0
        pendingStart = nil
    }

    @discardableResult
    private mutating func fail(parseError: Bool) -> Bool {
        if parseError { parseErrors &+= 1 }
        // Garbage before the server's first reply is the tail of a reply from
        // before the capture (mid-stream start): nothing was paired on it.
        lostFraming = isRequest || hasParsed
        skipPending()
        reset(to: .lost)
        return false
    }

    mutating func reset(to newState: State) {
        state = newState
        reading = false
        stack.removeAll(keepingCapacity: true)
        attributeLevels = 0
    }
}
