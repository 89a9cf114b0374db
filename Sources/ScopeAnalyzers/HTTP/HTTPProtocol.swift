/// HTTP/1.x: Packetbeat's default ports, requests and responses paired in
/// order per connection.
enum HTTPProtocol {
    static let definition = ProtocolDefinition(
        name: "http", title: "HTTP/1.x", defaultPorts: [80, 8080, 8000, 5000, 8002], transports: .tcp,
        options: [
            ProtocolOption(key: "headers", defaultValue: .flag(false), reference: [
                "Add request and response headers to events. Authorization,",
                "Proxy-Authorization and cookie values stay redacted (see redaction).",
            ]) { value, configuration in
                if case .flag(let on) = value { configuration.includeHTTPHeaders = on }
            },
            ProtocolOption(key: "include_body_for", defaultValue: .mediaTypes([]), reference: [
                "Keep the bodies whose media type starts with one of these, e.g.",
                "[\"application/json\", \"text/\"]. [] = none: bodies are counted, not kept.",
            ]) { value, configuration in
                if case .mediaTypes(let types) = value { configuration.bodyCapture = types }
            },
            ProtocolOption(key: "max_body_bytes", defaultValue: .messageBytes(4096), reference: [
                "Most bytes kept of each such body (a size, at most",
                "limits.max_message_bytes).",
            ]) { value, configuration in
                if case .messageBytes(let bytes) = value { configuration.maxCapturedBody = bytes }
            },
        ],
        detectStream: { HTTPDetection.match($0) }, streamSample: Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8),
        makeStreamAnalyzer: { HTTPSession(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let http = ApplicationProtocol(registered: "http")
}
