/// One header block's fields into a stream: pseudo-headers and the few
/// names events use become its HTTP messages' values; every field when
/// `includeHTTPHeaders` (credentials redacted as HTTP/1 does); gRPC's.
/// The list is bounded by `maxHeaderBytes` (RFC sizes: name + value + 32);
/// past it fields are decoded (HPACK must stay in step) but not kept.
struct HTTP2Fields {
    let includeHeaders: Bool
    let redact: Bool
    let limit: Int
    let trailer: Bool
    let request: Bool
    /// The connection's last values: a repeated one is the same String again.
    let recent: HTTP2RecentValues
    private var size = 0
    private(set) var overflow = false
    /// A 1xx response head: the real one follows.
    private(set) var interim = false

    init(configuration: AnalyzerConfiguration, trailer: Bool, request: Bool, recent: HTTP2RecentValues) {
        self.recent = recent
        includeHeaders = configuration.includeHTTPHeaders
        redact = configuration.redactSecrets
        limit = configuration.maxHeaderBytes
        self.trailer = trailer
        self.request = request
    }

    mutating func add(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, to stream: inout HTTP2Stream) {
        size &+= name.count &+ value.count &+ 32
        guard size <= limit else {
            overflow = true
            return
        }
        let isPseudo = name.first == UInt8(ascii: ":")
        if includeHeaders && !isPseudo {
            let headerName = HTTP2HeaderName.text(name), text = HTTP2HeaderName.text(value)
            let kept = redact ? HTTPMessageParser.redacted(headerName, text) : text
            if request { stream.request.headers.append((headerName, kept)) } else { stream.response.headers.append((headerName, kept)) }
        }
        if request { requestField(name, value, &stream) } else { responseField(name, value, &stream) }
    }

    private func requestField(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ stream: inout HTTP2Stream) {
        guard !trailer else { return }
        switch name.count {
        case 5 where HTTP2HeaderName.equals(name, ":path"):
            stream.request.target = recent.path.text(value)
        case 7 where HTTP2HeaderName.equals(name, ":method"):
            stream.request.method = recent.method.text(value)
        case 7 where HTTP2HeaderName.equals(name, ":scheme"):
            break  // url.scheme stays HTTP/1's (h2c is http)
        case 10 where HTTP2HeaderName.equals(name, ":authority"):
            stream.request.host = recent.authority.text(value)
        case 4 where HTTP2HeaderName.equals(name, "host"):
            if stream.request.host == nil { stream.request.host = recent.host.text(value) }
        case 10 where HTTP2HeaderName.equals(name, "user-agent"):
            stream.request.userAgent = recent.userAgent.text(value)
        case 7 where HTTP2HeaderName.equals(name, "referer"):
            stream.request.referrer = HTTP2HeaderName.text(value)
        case 12 where HTTP2HeaderName.equals(name, "content-type"):
            let type = recent.requestType.text(value)
            stream.request.contentType = type
            if case .none = stream.grpc, recent.isGRPC(type) { stream.grpc = recent.grpcCall(path: stream.request.target) }
        case 11 where HTTP2HeaderName.equals(name, "traceparent"):
            if let context = TraceParent(value) {
                stream.request.traceID = context.traceID
                stream.request.parentSpanID = context.parentID
            }
        case 12 where HTTP2HeaderName.equals(name, "grpc-timeout"):
            stream.grpc?.timeout = recent.timeout.text(value)
        case 13 where HTTP2HeaderName.equals(name, "grpc-encoding"):
            stream.grpc?.requestEncoding = recent.requestEncoding.text(value)
        default:
            break
        }
    }

    private mutating func responseField(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ stream: inout HTTP2Stream) {
        switch name.count {
        case 7 where !trailer && HTTP2HeaderName.equals(name, ":status"):
            // Three digits, else 0 (no status): a negative or huge code would reach JSON and metrics.
            let digits = value.count == 3 && value.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            let code = digits ? value.reduce(0) { $0 &* 10 &+ (Int($1) &- 48) } : 0
            stream.response.statusCode = code
            interim = code >= 100 && code < 200
        case 12 where !trailer && HTTP2HeaderName.equals(name, "content-type"):
            stream.response.contentType = recent.responseType.text(value)
        case 11 where HTTP2HeaderName.equals(name, "grpc-status"):
            // A non-negative number only (it is written as an unsigned JSON number).
            if let code = Self.status(value), code >= 0 { stream.grpc?.statusCode = code }
        case 12 where HTTP2HeaderName.equals(name, "grpc-message"):
            stream.grpc?.message = recent.grpcMessage.text(value)
        case 13 where !trailer && HTTP2HeaderName.equals(name, "grpc-encoding"):
            stream.grpc?.responseEncoding = recent.responseEncoding.text(value)
        default:
            break
        }
    }

    /// grpc-status as `Int(String)` reads it: one to nine plain digits
    /// (every real status) in place, anything else through the String.
    static func status(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty && value.count <= 9 else { return Int(HTTP2HeaderName.text(value)) }
        var code = 0
        for byte in value {
            guard byte >= 0x30 && byte <= 0x39 else { return Int(HTTP2HeaderName.text(value)) }
            code = code &* 10 &+ Int(byte &- 0x30)
        }
        return code
    }
}
