/// Incremental HTTP/1.x parser for one direction of a connection: bytes in,
/// complete messages out, one at a time. Only lines are ever buffered (in a
/// `StreamBuffer` bounded by `maxHeaderBytes`); bodies are counted and
/// skipped, so a 1 GB body costs nothing and an endless header is cut off.
///
/// Framing follows RFC 9112 §6: chunked wins over Content-Length; a response
/// to HEAD, a 1xx, 204 or 304 has no body; a response without either runs to
/// the end of the connection; a request without either has no body.
struct HTTPMessageParser {
    enum State: Equatable {
        /// Before a start line; blank lines between messages are skipped.
        case idle
        /// After garbage or a gap: lines are skipped until a start line.
        case resync
        case headers
        case body(remaining: UInt64)
        case chunkSize
        case chunkData(remaining: UInt64)
        case chunkDataEnd
        case trailers
        case untilClose
        /// After 101 Switching Protocols or a successful CONNECT: not HTTP any more.
        case tunnel
    }

    enum Output {
        /// A message is complete: `takeMessage()` hands it over. (Not a
        /// payload: every step would then copy a message-sized value.)
        case message
        /// A message could not be parsed; `oversized` when a limit cut it.
        case failed(oversized: Bool)
        /// The HTTP/2 connection preface: the connection is not HTTP/1.
        case preface
    }

    struct Step {
        var consumed: Int
        var output: Output?
    }

    /// The parts of `AnalyzerConfiguration` a parser reads. Made once per
    /// connection and shared by its two parsers: copying the whole
    /// configuration into each was about 230 instructions per connection.
    struct Settings {
        let maxHeaderBytes: Int
        let includeHTTPHeaders: Bool
        let redactSecrets: Bool
        let bodyCapture: [String]
        let maxCapturedBody: Int

        init(_ configuration: AnalyzerConfiguration) {
            maxHeaderBytes = configuration.maxHeaderBytes
            includeHTTPHeaders = configuration.includeHTTPHeaders
            redactSecrets = configuration.redactSecrets
            bodyCapture = configuration.bodyCapture
            maxCapturedBody = configuration.maxCapturedBody
        }
    }

    let configuration: Settings
    private(set) var state = State.idle
    var lines: StreamBuffer
    var message: HTTPMessage
    var contentLength: UInt64?
    var chunked = false
    var otherTransferCoding = false
    var capturing = false
    // The small fields together: the session holds two parsers, and each
    // Bool before a word-aligned field cost 7 bytes of padding. At 1,040
    // bytes the HTTP session was just too big for malloc's per-thread cache
    // (at most 1,032), which made its allocation and release about 350
    // instructions slower, once per connection.
    let isRequest: Bool
    /// `message` is an untouched `HTTPMessage(isRequest:)` (after `init`
    /// and `takeMessage`), so `begin` need not replace it: destroying and
    /// making a message is about 430 instructions, twice per transaction.
    private var messageIsFresh = true
    /// Bytes of the line being assembled, and when its first byte came.
    var lineBytes: UInt64 = 0
    var lineStart: UInt64 = 0
    var lastByteTime: UInt64 = 0
    /// Bytes skipped while resynchronising, for the counters.
    var skippedBytes: UInt64 = 0

    init(isRequest: Bool, configuration: Settings) {
        self.isRequest = isRequest
        self.configuration = configuration
        lines = StreamBuffer(limit: configuration.maxHeaderBytes)
        message = HTTPMessage(isRequest: isRequest)
    }

    /// The request being received, once its headers are in (for a response
    /// that arrives before the request body is complete).
    var inProgress: HTTPMessage? {
        switch state {
        case .idle, .resync, .headers, .tunnel: nil
        default: message
        }
    }

    /// Parses from `input[start...]` until one message completes or the
    /// input ends. `requestMethod` is the method of the request a response
    /// answers (HEAD and CONNECT change its framing).
    mutating func advance(_ input: UnsafeRawBufferPointer, from start: Int, timestamp: UInt64,
                          requestMethod: String? = nil, answersSimpleRequest: Bool = false) -> Step {
        let available = input.count &- start
        lastByteTime = timestamp
        switch state {
        case .idle where answersSimpleRequest && lineBytes == 0:
            // HTTP/0.9 answers a simple request with the bare body, up to the close.
            messageIsFresh = false
            message = HTTPMessage(isRequest: false)
            message.version = "0.9"
            message.start = timestamp
            message.notes.append("HTTP/0.9 response (no status line)")
            state = .untilClose
            takeBody(input, start, available)
            return Step(consumed: available, output: nil)
        case .body(let remaining):
            let taken = Int(min(UInt64(available), remaining))
            takeBody(input, start, taken)
            if UInt64(taken) == remaining { return Step(consumed: taken, output: complete(at: timestamp)) }
            state = .body(remaining: remaining &- UInt64(taken))
            return Step(consumed: taken, output: nil)
        case .chunkData(let remaining):
            let taken = Int(min(UInt64(available), remaining))
            takeBody(input, start, taken)
            state = UInt64(taken) == remaining ? .chunkDataEnd : .chunkData(remaining: remaining &- UInt64(taken))
            return Step(consumed: taken, output: nil)
        case .untilClose:
            takeBody(input, start, available)
            return Step(consumed: available, output: nil)
        case .tunnel:
            // Not HTTP/1 any more (an upgrade, CONNECT, the HTTP/2 preface):
            // counted as skipped, so an answer nobody parses is not lost silently.
            skippedBytes &+= UInt64(available)
            return Step(consumed: available, output: nil)
        default:
            if lineBytes == 0 { lineStart = timestamp }
            let scan = lines.scanLine(input, from: start)
            lineBytes &+= UInt64(scan.consumed)
            var output: Output?
            switch scan.piece {
            case .incomplete:
                break
            case .overflowed:
                output = overflowedLine()
            case .discarded:
                skippedBytes &+= lineBytes
                lineBytes = 0
            case .inInput(let range):
                output = handleLine(UnsafeRawBufferPointer(rebasing: input[range]), at: timestamp, requestMethod)
            case .inPending:
                var line = lines.takePending()
                output = line.withUnsafeBytes { handleLine($0, at: timestamp, requestMethod) }
                lines.restore(&line)
            }
            return Step(consumed: scan.consumed, output: output)
        }
    }

    private mutating func handleLine(_ line: UnsafeRawBufferPointer, at timestamp: UInt64,
                                     _ requestMethod: String?) -> Output? {
        let size = lineBytes
        lineBytes = 0
        switch state {
        case .idle, .resync:
            if line.isEmpty && state == .idle { return nil }  // CRLF between messages is allowed
            // Resynchronising, the start line may follow the tail of a lost
            // body on the same line ("...okHTTP/1.1 200 OK").
            guard let offset = begin(line, searching: state == .resync) else {
                skippedBytes &+= size
                let first = state == .idle
                state = .resync
                return first ? .failed(oversized: false) : nil  // one error per loss of sync
            }
            skippedBytes &+= UInt64(offset)
            message.start = lineStart
            message.headerBytes = size &- UInt64(offset)
            message.bytes = message.headerBytes
            if isRequest && message.version == "2.0" && message.method == "PRI" && message.target == "*" {
                // RFC 9113 §3.4: the HTTP/2 connection preface, not an HTTP/1 request.
                skippedBytes &+= message.bytes
                message = HTTPMessage(isRequest: true)
                state = .tunnel
                return .preface
            }
            state = .headers
            if message.version == "0.9" { return complete(at: timestamp) }  // a simple request: no headers follow
            return nil
        case .headers, .trailers:
            message.headerBytes &+= size
            message.bytes &+= size
            if message.headerBytes > UInt64(configuration.maxHeaderBytes) { return abandon(oversized: true) }
            if !line.isEmpty {
                header(line, trailer: state == .trailers)
                return nil
            }
            return state == .trailers ? complete(at: timestamp) : headersComplete(at: timestamp, requestMethod)
        case .chunkSize:
            message.bytes &+= size
            guard let chunk = HTTPSyntax.parseChunkSize(line) else { return bodyBroken("bad chunk size", at: timestamp) }
            state = chunk == 0 ? .trailers : .chunkData(remaining: chunk)
            return nil
        case .chunkDataEnd:
            message.bytes &+= size
            guard line.isEmpty else { return bodyBroken("chunk not followed by CRLF", at: timestamp) }
            state = .chunkSize
            return nil
        default:
            return nil
        }
    }

    /// A start line for this direction begins a message; returns where in
    /// the line it starts (0 unless `searching`).
    private mutating func begin(_ line: UnsafeRawBufferPointer, searching: Bool) -> Int? {
        if !messageIsFresh { message = HTTPMessage(isRequest: isRequest) }
        messageIsFresh = false
        (contentLength, chunked, otherTransferCoding, capturing) = (nil, false, false, false)
        for offset in 0..<(searching ? line.count : min(1, line.count)) {
            let rest = UnsafeRawBufferPointer(rebasing: line[offset...])
            if isRequest {
                // Only known methods when searching: any token would match mid-line.
                guard offset == 0 || HTTPDetection.match(rest) == .fromClient,
                      let request = HTTPSyntax.parseRequestLine(rest),
                      offset == 0 || request.version != "0.9" else { continue }  // "GET x" inside a lost body
                (message.method, message.target, message.version) = (request.method, request.target, request.version)
                if request.oddSpacing { message.notes.append("request line with extra spaces") }
                if request.version == "0.9" { message.notes.append("HTTP/0.9 request (no version)") }
            } else {
                guard rest[0] == UInt8(ascii: "H"), let status = HTTPSyntax.parseStatusLine(rest) else { continue }
                (message.version, message.statusCode, message.statusPhrase) = status
            }
            return offset
        }
        return nil
    }

    private mutating func headersComplete(at timestamp: UInt64, _ requestMethod: String?) -> Output? {
        capturing = configuration.bodyCapture.contains { prefix in message.mimeType?.hasPrefix(prefix) == true }
        if capturing { message.body = [] }
        if isRequest {
            if otherTransferCoding && !chunked { return abandon(oversized: false) }  // a server answers 400
            if chunked { state = .chunkSize } else if let length = contentLength, length > 0 {
                state = .body(remaining: length)
            } else {
                return complete(at: timestamp)
            }
            return nil
        }
        let code = message.statusCode
        let tunnels = code == 101 || (requestMethod == "CONNECT" && code >= 200 && code < 300)
        if code < 200 || code == 204 || code == 304 || requestMethod == "HEAD" || tunnels {
            return complete(at: timestamp, thenTunnel: tunnels)
        }
        if chunked {
            state = .chunkSize
        } else if let length = contentLength {
            guard length > 0 else { return complete(at: timestamp) }
            state = .body(remaining: length)
        } else {
            state = .untilClose
        }
        return nil
    }

    private mutating func takeBody(_ input: UnsafeRawBufferPointer, _ start: Int, _ count: Int) {
        message.bodyBytes &+= UInt64(count)
        message.bytes &+= UInt64(count)
        if capturing, let kept = message.body?.count, kept < configuration.maxCapturedBody {
            let end = start &+ min(count, configuration.maxCapturedBody &- kept)
            message.body?.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<end]))
        }
    }

    /// The message is done; `takeMessage()` hands it over.
    mutating func complete(at timestamp: UInt64, thenTunnel: Bool = false) -> Output {
        message.end = timestamp
        state = thenTunnel ? .tunnel : .idle
        return .message
    }

    /// The message `.message` announced, moved out; a fresh one takes its place.
    mutating func takeMessage() -> HTTPMessage {
        var taken = HTTPMessage(isRequest: isRequest)
        swap(&taken, &message)
        messageIsFresh = true
        return taken
    }

    /// Chunked framing broke inside the body: the head (status, headers)
    /// is sound, so the message is reported, cut short and flagged; the
    /// parser then looks for the next start line.
    private mutating func bodyBroken(_ reason: String, at timestamp: UInt64) -> Output {
        message.complete = false
        message.bodyError = true
        message.notes.append("\(isRequest ? "request" : "response") body: \(reason); the rest of the body was skipped")
        message.end = timestamp
        state = .resync  // the message stays until `takeMessage`, which the session calls at once
        return .message
    }

    /// Gives up the current message after a syntax error or a limit.
    mutating func abandon(oversized: Bool) -> Output {
        skippedBytes &+= message.bytes
        message = HTTPMessage(isRequest: isRequest)
        state = .resync
        return .failed(oversized: oversized)
    }

    mutating func enterState(_ next: State) { state = next }
}
