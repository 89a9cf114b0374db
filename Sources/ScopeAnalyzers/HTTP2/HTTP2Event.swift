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

    /// "/package.Service/Method" → ("package.Service", "Method").
    init(path: String) {
        guard path.hasPrefix("/") else { return }
        let rest = path.dropFirst()
        if let slash = rest.firstIndex(of: "/") {
            service = String(rest[..<slash])
            method = String(rest[rest.index(after: slash)...])
        } else {
            service = String(rest)
        }
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
        json.object("http2") { object in
            object.field("stream_id", UInt64(streamID))
            if let reset {
                object.field("error_code", HTTP2Names.errorCode(reset.code))
                object.field("reset_by", reset.byClient ? "client" : "server")
            }
            if pushed { object.field("pushed", true) }
            flowStalls?.append(to: &object)
        }
        guard let grpc else { return }
        json.object("rpc") { rpc in
            rpc.field("system", "grpc")
            rpc.field("service", grpc.service)
            rpc.field("method", grpc.method)
            if let code = grpc.statusCode { rpc.object("grpc") { $0.field("status_code", UInt64(code)) } }
        }
        json.object("grpc") { object in
            if let code = grpc.statusCode { object.field("status", GRPCNames.status(code)) }
            if let message = grpc.message, !message.isEmpty { object.field("message", message) }
            if let timeout = grpc.timeout {
                object.field("timeout", timeout)
                if let nanoseconds = GRPCNames.timeout(timeout) { object.field("timeout_ns", nanoseconds) }
            }
            for (side, counter, encoding) in [("request", grpc.requestMessages, grpc.requestEncoding),
                                              ("response", grpc.responseMessages, grpc.responseEncoding)] {
                object.object(side) { part in
                    part.field("messages", counter.messages)
                    part.field("bytes", counter.bytes)
                    part.field("compressed", counter.compressed)
                    part.optional("encoding", encoding)
                    if counter.lost { part.field("framing_lost", true) }
                }
            }
        }
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
