/// HTTP/2 in clear with prior knowledge (RFC 9113 §3.3), on any port by
/// its connection preface (or the server's first SETTINGS), and on gRPC's
/// conventional port. One event per stream; gRPC calls are HTTP/2 events
/// with `rpc.*` and `grpc.*` fields (`grpc`, carried by this protocol, selects
/// them alone: GRPCProtocol.swift). HTTP/2 inside TLS is not visible
/// (the TLS event names `h2` in ALPN).
enum HTTP2Protocol {
    static let definition = ProtocolDefinition(
        name: "http2", title: "HTTP/2 (cleartext, gRPC)", defaultPorts: [50051], transports: .tcp,
        detectStream: { HTTP2Preface.match($0) },
        // The preface, empty SETTINGS, and HEADERS on stream 1 (GET http /, END_STREAM|END_HEADERS).
        streamSample: HTTP2Preface.bytes + [0, 0, 0, 4, 0, 0, 0, 0, 0] + [0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84],
        metrics: HTTP2Metrics.definition,
        makeStreamAnalyzer: { HTTP2Session(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let http2 = ApplicationProtocol(registered: "http2")
}
