/// One direction of an HTTP/2 connection cut into frames. Frame headers
/// straddling segments are kept in 9 bytes; a control or HEADERS frame's
/// payload is handed over whole (from the segment when it is all there,
/// else from one reused buffer of at most `payloadLimit` bytes: larger
/// ones are skipped exactly and reported `oversized`); DATA payloads are
/// never buffered, only passed on piece by piece without their padding.
struct HTTP2FrameReader {
    enum Output {
        /// A whole non-DATA frame (padding still in: HEADERS strips its own).
        case frame(HTTP2FrameHeader, UnsafeRawBufferPointer)
        /// A piece of a DATA frame's data; `last` on the frame's final piece.
        case data(HTTP2FrameHeader, UnsafeRawBufferPointer, last: Bool)
        /// A non-DATA frame over `payloadLimit`: skipped.
        case oversized(HTTP2FrameHeader)
        /// Bytes that are no frame (a broken preface, a lost position):
        /// skipped until a plausible frame header.
        case lostSync
    }

    private enum State {
        case preface(matched: Int)
        case header
        case payload
        /// Looking for a frame header after a loss of position.
        case resync
    }

    private var state: State
    private var header = HTTP2FrameHeader(length: 0, type: 0, flags: 0, stream: 0)
    private var headerBytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var headerFill = 0
    /// The next frame header is the side's first: it must be plausible, or
    /// the bytes are not HTTP/2 from their start (a capture begun
    /// mid-connection, an HTTP/1 server refusing the preface).
    private var checkFirst: Bool
    /// Payload bytes of the current frame still to come.
    private var remaining = 0
    private var buffer: [UInt8] = []
    private var skipping = false
    /// DATA: padding length still to read (-1: not read yet), padding at the end.
    private var padPending = false
    private var padding = 0
    let payloadLimit: Int
    /// The largest frame the receiver allows (SETTINGS_MAX_FRAME_SIZE), for resynchronisation.
    var maxFrameSize = 16_384
    private(set) var skippedBytes: UInt64 = 0
    private(set) var frames: UInt64 = 0

    init(expectsPreface: Bool, payloadLimit: Int) {
        state = expectsPreface ? .preface(matched: 0) : .header
        checkFirst = !expectsPreface
        self.payloadLimit = payloadLimit
    }

    var inPayload: Bool { if case .payload = state { true } else { false } }
    /// The frame being read (meaningful while `inPayload`).
    var currentFrame: HTTP2FrameHeader { header }

    mutating func deliver(_ bytes: UnsafeRawBufferPointer, _ output: (Output) -> Void) {
        var offset = 0
        while offset < bytes.count {
            switch state {
            case .preface(let matched):
                let preface = HTTP2Preface.bytes
                var index = matched
                while index < preface.count && offset < bytes.count && bytes[offset] == preface[index] {
                    index &+= 1
                    offset &+= 1
                }
                if index == preface.count {
                    state = .header
                } else if offset < bytes.count {
                    // Not the preface: a capture that began after it (or not HTTP/2).
                    skippedBytes &+= UInt64(index)
                    state = .resync
                    output(.lostSync)
                } else {
                    state = .preface(matched: index)
                }
            case .header:
                if headerFill == 0 && bytes.count &- offset >= HTTP2FrameHeader.size {
                    header = HTTP2FrameHeader(bytes, at: offset)
                    offset &+= HTTP2FrameHeader.size
                } else {
                    withUnsafeMutableBytes(of: &headerBytes) { stored in
                        while headerFill < HTTP2FrameHeader.size && offset < bytes.count {
                            stored[headerFill] = bytes[offset]
                            headerFill &+= 1
                            offset &+= 1
                        }
                    }
                    guard headerFill == HTTP2FrameHeader.size else { return }
                    headerFill = 0
                    header = withUnsafeBytes(of: &headerBytes) { HTTP2FrameHeader($0, at: 0) }
                }
                if checkFirst {
                    checkFirst = false
                    if !header.isPlausible(maxFrameSize: HTTP2FrameHeader.maxLength) {
                        // Looked at again byte by byte from its first byte.
                        offset &-= HTTP2FrameHeader.size
                        state = .resync
                        output(.lostSync)
                        if offset < 0 {
                            // The header straddled segments: its earlier bytes are gone; count them.
                            skippedBytes &+= UInt64(-offset)
                            offset = 0
                        }
                        continue
                    }
                }
                begin(output)
            case .payload:
                offset = payload(bytes, from: offset, output)
            case .resync:
                offset = resync(bytes, from: offset, output)
            }
        }
    }

    private mutating func begin(_ output: (Output) -> Void) {
        frames &+= 1
        remaining = header.length
        if header.type == HTTP2FrameType.data {
            padPending = header.padded
            padding = 0
            skipping = false
        } else {
            skipping = header.length > payloadLimit
            if skipping { output(.oversized(header)) }
            buffer.removeAll(keepingCapacity: true)
        }
        state = .payload
        if remaining == 0 { finishEmpty(output) }
    }

    private mutating func finishEmpty(_ output: (Output) -> Void) {
        state = .header
        if header.type == HTTP2FrameType.data {
            output(.data(header, UnsafeRawBufferPointer(start: nil, count: 0), last: true))
        } else {
            output(.frame(header, UnsafeRawBufferPointer(start: nil, count: 0)))
        }
    }

    private mutating func payload(_ bytes: UnsafeRawBufferPointer, from start: Int, _ output: (Output) -> Void) -> Int {
        var offset = start
        let take = min(remaining, bytes.count &- offset)
        if header.type == HTTP2FrameType.data {
            if padPending {
                padPending = false
                padding = Int(bytes[offset])
                offset &+= 1
                remaining &-= 1
                if padding > remaining { padding = remaining }  // malformed: all of it is padding
            }
            // A gap may have cut into the padding: what is left is padding then.
            let dataLeft = max(0, remaining &- padding)
            padding = min(padding, remaining)
            let piece = min(dataLeft, bytes.count &- offset)
            remaining &-= piece
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ piece)])
            offset &+= piece
            let padHere = min(remaining, bytes.count &- offset)
            remaining &-= padHere
            offset &+= padHere
            let last = remaining == 0
            if last { state = .header }
            if piece > 0 || last { output(.data(header, chunk, last: last)) }
            return offset
        }
        remaining &-= take
        if skipping {
            if remaining == 0 { state = .header }
            return offset &+ take
        }
        if buffer.isEmpty && remaining == 0 {
            state = .header
            output(.frame(header, UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ take)])))
            return offset &+ take
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ take)]))
        if remaining == 0 {
            state = .header
            buffer.withUnsafeBytes { output(.frame(header, $0)) }
            // A rare large frame's buffer is not kept for the connection's life.
            if buffer.capacity > 16_384 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        }
        return offset &+ take
    }

    /// A gap of `length` bytes. Inside a payload it is skipped exactly
    /// (true: the position is kept; the frame's content is damaged); anywhere
    /// else the position is lost and the reader looks for a frame header.
    mutating func gap(length: Int) -> Bool {
        if case .payload = state, header.type == HTTP2FrameType.data, !padPending, length <= remaining &- padding {
            remaining &-= length
            return true
        }
        if case .payload = state, length < remaining {
            remaining &-= length
            skipping = true  // the frame cannot be read whole any more
            buffer.removeAll(keepingCapacity: true)
            return true
        }
        headerFill = 0
        state = .resync
        return false
    }

    /// Skips to the first offset where a plausible frame header starts and,
    /// when the segment holds what follows that frame, another one follows it.
    private mutating func resync(_ bytes: UnsafeRawBufferPointer, from start: Int, _ output: (Output) -> Void) -> Int {
        var offset = start
        while bytes.count &- offset >= HTTP2FrameHeader.size {
            let candidate = HTTP2FrameHeader(bytes, at: offset)
            if candidate.isPlausible(maxFrameSize: maxFrameSize) {
                let next = offset &+ HTTP2FrameHeader.size &+ candidate.length
                if next == bytes.count || (next > bytes.count && candidate.type == HTTP2FrameType.data)
                    || (next &+ HTTP2FrameHeader.size <= bytes.count
                        && HTTP2FrameHeader(bytes, at: next).isPlausible(maxFrameSize: maxFrameSize)) {
                    skippedBytes &+= UInt64(offset &- start)
                    state = .header
                    return offset
                }
            }
            offset &+= 1
        }
        skippedBytes &+= UInt64(bytes.count &- start)
        return bytes.count
    }
}
