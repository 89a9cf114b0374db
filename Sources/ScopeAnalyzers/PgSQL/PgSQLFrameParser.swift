/// Incremental framing for one direction of a PostgreSQL connection: bytes
/// in, `PgSQLFrame`s out, one at a time. Lengths are known up front, so only
/// the header (≤ 8 bytes) and the kept prefix of a body are ever buffered; a
/// length past `maxMessageSize` is reported oversized and skipped exactly.
///
/// After garbage, a gap it cannot absorb, or a start in the middle of a
/// message, it resynchronises on a pattern that is unambiguous enough:
/// ReadyForQuery (`Z 0005 I|T|E`) from the server, Sync (`S 0004`) or a
/// simple Query of at most 64 KiB (`Q 0000xxxx`) from the client.
struct PgSQLFrameParser {
    enum Mode: Equatable {
        case messages
        /// Server side after an SSLRequest/GSSENCRequest: one byte answers it.
        case sslAnswer
        case resync
        /// TLS or GSS encryption was accepted: nothing more is readable.
        case encrypted
    }

    enum Output {
        case frame(PgSQLFrame)
        /// The single byte answering SSLRequest/GSSENCRequest ('S', 'G', 'N').
        case sslAnswer(UInt8)
        /// A header announced more than `maxMessageSize`; its frame follows
        /// (with `oversized` set) once the body has been skipped.
        case oversized
        /// A header made no sense: messages may be lost from here on.
        case invalid
    }

    struct Step {
        var consumed: Int
        var output: Output?
    }

    /// Lost never carries a frame: whole messages may be gone.
    typealias GapResult = StreamGap<PgSQLFrame>

    let fromClient: Bool
    let maxMessage: Int
    var mode = Mode.messages
    /// Client only: an untyped startup-phase message may come next.
    private(set) var startupAllowed: Bool
    private var header: [UInt8] = []
    private var headerStart: UInt64 = 0
    var current: PgSQLFrame?
    var keep = 0
    var skipLeft = 0
    private var content: StreamBuffer
    /// The first header of the direction may be mid-message: checked harder.
    var strict = true
    /// Resynchronisation progress (see PgSQLFrameParser+Resync.swift).
    var resyncMatched = 0
    var resyncType: UInt8 = 0
    var resyncLength = 0
    var skippedBytes: UInt64 = 0
    /// The last frame's body storage, refilled for the next body: the
    /// session is done with a frame before it asks for the next step, so
    /// this is then the only reference and no array is allocated per frame.
    /// Only small storage is kept (`spareBodyCapacity`), so an idle
    /// connection does not hold a large query's buffer.
    private var spareBody: [UInt8] = []
    static let spareBodyCapacity = 4096

    init(fromClient: Bool, maxMessage: Int) {
        self.fromClient = fromClient
        self.maxMessage = maxMessage
        startupAllowed = fromClient
        content = StreamBuffer(limit: maxMessage)
        header.reserveCapacity(8)
    }

    /// Buffered bytes (header and kept body prefix), for memory checks.
    var bufferedBytes: Int { header.count &+ content.pending.count }

    /// Encryption was negotiated (seen on the other side): stop reading.
    mutating func stopReading() {
        mode = .encrypted
        header.removeAll()
        content.reset()
        current = nil
    }

    /// The server side expects the one-byte answer to an SSL/GSS request.
    mutating func expectSSLAnswer() {
        if mode == .messages && current == nil && header.isEmpty { mode = .sslAnswer }
    }

    mutating func advance(_ input: UnsafeRawBufferPointer, from start: Int, timestamp: UInt64) -> Step {
        switch mode {
        case .encrypted:
            return Step(consumed: input.count &- start, output: nil)
        case .sslAnswer:
            let answer = input[start]
            if answer == UInt8(ascii: "S") || answer == UInt8(ascii: "G") {
                mode = .encrypted
            } else {
                mode = .messages
                // An old server answers with an ErrorResponse instead: parse it as one.
                if answer != UInt8(ascii: "N") { return Step(consumed: 0, output: .sslAnswer(answer)) }
            }
            return Step(consumed: 1, output: .sslAnswer(answer))
        case .resync:
            return resync(input, from: start, timestamp: timestamp)
        case .messages:
            return current == nil ? readHeader(input, from: start, timestamp: timestamp)
                                  : readBody(input, from: start, timestamp: timestamp)
        }
    }

    private mutating func readHeader(_ input: UnsafeRawBufferPointer, from start: Int, timestamp: UInt64) -> Step {
        // Usually the whole header is in the input: read it there, unbuffered.
        if header.isEmpty {
            headerStart = timestamp
            let size = fromClient && startupAllowed && input[start] == 0 ? 8 : 5
            if input.count &- start >= size {
                return frame(header: UnsafeRawBufferPointer(rebasing: input[start..<(start &+ size)]),
                             consumed: size, timestamp: timestamp)
            }
        }
        var index = start
        while index < input.count {
            let untyped = fromClient && startupAllowed && header.first == 0
            if header.count == (untyped ? 8 : 5) { break }
            header.append(input[index])
            index &+= 1
        }
        let untyped = fromClient && startupAllowed && header.first == 0
        guard header.count == (untyped ? 8 : 5) else { return Step(consumed: index &- start, output: nil) }
        let whole = header
        header.removeAll(keepingCapacity: true)
        return whole.withUnsafeBytes { frame(header: $0, consumed: index &- start, timestamp: timestamp) }
    }

    /// The frame a complete header (5 bytes, or 8 for an untyped one) announces.
    private mutating func frame(header: UnsafeRawBufferPointer, consumed: Int, timestamp: UInt64) -> Step {
        var frame: PgSQLFrame
        var bodyLength: Int
        if header.count == 8 {
            let length = Int(PgSQLType.uint32(header, at: 0))
            let code = PgSQLType.uint32(header, at: 4)
            guard PgSQLType.isStartupCode(code, length: length) else { return invalid(header, consumed: consumed) }
            frame = PgSQLFrame(type: 0, code: code, length: length, start: headerStart, end: timestamp)
            bodyLength = length &- 8
            if code >> 16 == 3 { startupAllowed = false }
        } else {
            let type = header[0]
            let length = Int(PgSQLType.uint32(header, at: 1))
            guard PgSQLType.plausible(type, length: length, fromClient: fromClient),
                  !strict || length <= 1 << 20 else { return invalid(header, consumed: consumed) }
            frame = PgSQLFrame(type: type, length: length &+ 1, start: headerStart, end: timestamp)
            bodyLength = length &- 4
            startupAllowed = false
        }
        strict = false
        var output: Output?
        if bodyLength > maxMessage {
            frame.oversized = true
            output = .oversized
            keep = 0
        } else {
            keep = min(bodyLength, frame.isUntyped ? 0 : PgSQLType.keepLimit(frame.type, fromClient: fromClient,
                                                                              maxMessage: maxMessage))
        }
        frame.bodyComplete = keep == bodyLength
        skipLeft = bodyLength &- keep
        current = consume frame
        if keep == 0 && skipLeft == 0 { return finish(consumed: consumed, timestamp: timestamp) }
        return Step(consumed: consumed, output: output)
    }

    private mutating func readBody(_ input: UnsafeRawBufferPointer, from start: Int, timestamp: UInt64) -> Step {
        var index = start
        if keep > 0 {
            let scan = content.collect(input, from: index, total: keep)
            index &+= scan.consumed
            switch scan.piece {
            case .inInput(let range):
                var body = spareBody
                spareBody = []
                body.removeAll(keepingCapacity: true)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[range]).bindMemory(to: UInt8.self))
                if body.capacity <= Self.spareBodyCapacity { spareBody = body }
                current?.body = body
            case .inPending: current?.body = content.takePending()
            default: return Step(consumed: index &- start, output: nil)
            }
            keep = 0
        }
        let skipped = min(skipLeft, input.count &- index)
        skipLeft &-= skipped
        index &+= skipped
        guard skipLeft == 0 else { return Step(consumed: index &- start, output: nil) }
        return finish(consumed: index &- start, timestamp: timestamp)
    }

    private mutating func finish(consumed: Int, timestamp: UInt64) -> Step {
        guard var frame = current.take() else { return Step(consumed: consumed, output: nil) }
        frame.end = timestamp
        if frame.type == 0 && (frame.code == PgSQLType.sslRequest || frame.code == PgSQLType.gssEncRequest) {
            startupAllowed = true  // a StartupMessage follows the answer
        }
        return Step(consumed: consumed, output: .frame(frame))
    }

    private mutating func invalid(_ header: UnsafeRawBufferPointer, consumed: Int) -> Step {
        // The next boundary may hide in the header's later bytes; four of
        // them cannot complete a pattern, so feeding them is enough.
        skippedBytes &+= UInt64(header.count)
        let rest = header.dropFirst().prefix(4)
        self.header.removeAll(keepingCapacity: true)
        current = nil
        mode = .resync
        resyncMatched = 0
        for byte in rest { _ = feedResync(byte, timestamp: 0) }
        return Step(consumed: consumed, output: .invalid)
    }

    mutating func gap(length: Int, timestamp: UInt64) -> GapResult {
        switch mode {
        case .encrypted: return .absorbed(nil)
        case .resync:
            resyncMatched = 0
            return .absorbed(nil)
        case .sslAnswer: break
        case .messages:
            if var frame = current {
                let keptLeft = keep > 0 ? keep &- content.pending.count : 0
                if length <= keptLeft &+ skipLeft {
                    if keptLeft > 0 {
                        content.reset()
                        frame.body = []
                        frame.bodyComplete = false
                        skipLeft = keptLeft &+ skipLeft &- length
                        keep = 0
                    } else {
                        skipLeft &-= length
                    }
                    frame.damaged = true
                    current = frame
                    guard skipLeft == 0 && keep == 0 else { return .absorbed(nil) }
                    current = nil
                    frame.end = timestamp
                    return .absorbed(frame)
                }
            }
        }
        header.removeAll(keepingCapacity: true)
        content.reset()
        current = nil
        keep = 0
        skipLeft = 0
        mode = .resync
        resyncMatched = 0
        return .lost(nil)
    }
}
