import ScopeDecode

/// A gRPC call carried by one HTTP/2 stream (request content-type
/// application/grpc…): OpenTelemetry's `rpc.*` from `:path`, the status
/// from the trailers (or a trailers-only response), messages counted from
/// their length prefixes.
public struct GRPCCall: Sendable, Equatable {
    public var service = ""
    public var method = ""
    public var statusCode: Int?
    public var message: String?
    public var timeout: String?
    public var requestEncoding: String?
    public var responseEncoding: String?
    public var requestMessages = GRPCMessageCounter()
    public var responseMessages = GRPCMessageCounter()

    init(service: String, method: String) {
        self.service = service
        self.method = method
    }

    /// "/package.Service/Method" → ("package.Service", "Method").
    init(path: String) {
        var path = path
        if let split = path.withUTF8({ Self.splitASCII($0) }) {
            (service, method) = split
            return
        }
        guard path.hasPrefix("/") else { return }
        let rest = path.dropFirst()
        if let slash = rest.firstIndex(of: "/") {
            service = String(rest[..<slash])
            method = String(rest[rest.index(after: slash)...])
        } else {
            service = String(rest)
        }
    }

    /// `init(path:)` on an all-ASCII path (as gRPC's are), where a "/" byte
    /// is a "/" character: split as bytes, as walking the characters cost
    /// about 2k instructions per call. Nil for any other path.
    private static func splitASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> (service: String, method: String)? {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        guard bytes.first == UInt8(ascii: "/") else { return ("", "") }
        let rest = UnsafeBufferPointer(rebasing: bytes[1...])
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return (String(decoding: rest, as: UTF8.self), "") }
        return (String(decoding: rest[..<slash], as: UTF8.self), String(decoding: rest[(slash + 1)...], as: UTF8.self))
    }

    /// `rpc.*` (OpenTelemetry's names) and `grpc.*`.
    func append(to json: inout JSONCursor) {
        // Literal keys in runs, values copied as they are when clean (HTTPJSONText).
        json.verbatim(#""rpc":{"system":"grpc","service":"#)
        HTTPJSONText.string(service, to: &json)
        json.verbatim(#""method":"#)
        HTTPJSONText.string(method, to: &json)
        if let statusCode {
            json.verbatim(#""grpc":{"status_code":"#)
            json.number(UInt64(statusCode))
            json.endObject()
        }
        json.endObject()
        json.verbatim(#""grpc":{"#)
        if let statusCode {
            json.verbatim(#""status":"#)
            HTTPJSONText.string(GRPCNames.status(statusCode), to: &json)
        }
        if let message, !message.isEmpty { json.field("message", message) }
        if let timeout {
            json.field("timeout", timeout)
            if let nanoseconds = GRPCNames.timeout(timeout) { json.field("timeout_ns", nanoseconds) }
        }
        json.verbatim(#""request":{"#)
        requestMessages.append(to: &json, encoding: requestEncoding)
        json.endObject()
        json.verbatim(#""response":{"#)
        responseMessages.append(to: &json, encoding: responseEncoding)
        json.endObject()
        json.endObject()
    }
}

/// One HTTP/2 stream: its request and response as HTTP messages (version
/// "2", so they are written as HTTP/1's are), and what only HTTP/2 has.
public struct HTTP2Transaction: Sendable, TransactionDetail {
    public var http: HTTPTransaction
    public var streamID: UInt32
    /// RST_STREAM: its error code and who sent it.
    public var reset: (code: UInt32, byClient: Bool)?
    /// Pushed by the server (PUSH_PROMISE), not asked by the client.
    public var pushed = false
    public var grpc: GRPCCall?
    /// Flow-control stalls, when a sender was stopped by a window at least once.
    public var flowStalls: HTTP2FlowStalls?

    public var isMatched: Bool { http.request != nil && http.response != nil }

    /// A gRPC call is also gRPC's: reported under `--proto grpc` alone.
    public var carriedProtocol: ApplicationProtocol? { grpc != nil ? .grpc : nil }

    public var summary: String {
        let asked = http.request.map { "\($0.method) \($0.target)" } ?? "?"
        var text = "\(asked) -> " + (http.response.map { String($0.statusCode) } ?? "?")
        if let code = grpc?.statusCode { text += " grpc=\(GRPCNames.status(code))" }
        if let reset { text += " reset=\(HTTP2Names.errorCode(reset.code))" }
        return text
    }

    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        http.appendFields(to: &json, endpoints: endpoints)
        // One reserved block for `http2` and the gRPC fields: a `JSONWriter`
        // call per value reserved and checked space for each. Flow-control
        // stalls (rare) are written between two blocks.
        var room = 96
        if let grpc {
            let text = grpc.service.utf8.count &+ grpc.method.utf8.count &+ (grpc.message?.utf8.count ?? 0) &* 6
                &+ (grpc.timeout?.utf8.count ?? 0) &+ (grpc.requestEncoding?.utf8.count ?? 0)
                &+ (grpc.responseEncoding?.utf8.count ?? 0)
            room &+= 512 &+ text &* 2
        }
        if let flowStalls {
            json.write(reserving: 96) { appendHTTP2(to: &$0) }
            flowStalls.append(to: &json)
            json.write(reserving: room) { object in
                object.endObject()
                grpc?.append(to: &object)
            }
            return
        }
        json.write(reserving: room) { object in
            appendHTTP2(to: &object)
            object.endObject()
            grpc?.append(to: &object)
        }
    }

    /// `"http2":{` and its members (the object left open).
    private func appendHTTP2(to object: inout JSONCursor) {
        object.beginObject("http2")
        object.field("stream_id", UInt64(streamID))
        if let reset {
            object.field("error_code", HTTP2Names.errorCode(reset.code))
            object.field("reset_by", reset.byClient ? "client" : "server")
        }
        if pushed { object.field("pushed", true) }
    }

    public var methodName: String { http.request?.method ?? "?" }

    public func resourceName(endpoints: TransactionEndpoints) -> String { http.request?.target ?? "?" }

    /// gRPC: the status name in lowercase ("ok", "deadline_exceeded"; "other"
    /// for an undefined code);
    /// otherwise HTTP's status class; "reset" for a stream reset unanswered.
    public func outcomeName(status: TransactionStatus) -> String {
        if let code = grpc?.statusCode {
            // A label value: codes outside the 17 defined ones are one bucket, not one series each.
            return code >= 0 && code < GRPCNames.codes.count ? GRPCNames.codes[code].lowercased() : "other"
        }
        if http.response == nil && reset != nil { return "reset" }
        return http.outcomeName(status: status)
    }
}

extension HTTP2Transaction: Equatable {
    public static func == (lhs: HTTP2Transaction, rhs: HTTP2Transaction) -> Bool {
        lhs.streamID == rhs.streamID && lhs.reset?.code == rhs.reset?.code && lhs.reset?.byClient == rhs.reset?.byClient
            && lhs.pushed == rhs.pushed && lhs.grpc == rhs.grpc && lhs.flowStalls == rhs.flowStalls && lhs.summary == rhs.summary
    }
}
