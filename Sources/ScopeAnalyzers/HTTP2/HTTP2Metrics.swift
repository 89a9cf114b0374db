/// HTTP/2's metric families beyond the request series: gRPC calls by
/// service, method and status, their latency per method, gRPC messages by direction, and stream
/// resets by error code and sender. Service and method come from traffic:
/// their values are capped like every label.
enum HTTP2Metrics {
    static let grpcCalls = 0
    static let grpcMessages = 1
    static let resets = 2
    static let grpcDuration = 3

    static let definition = ProtocolMetrics(families: [
        .init(name: "dpdkscope_grpc_calls_total",
              help: "gRPC calls (HTTP/2 streams with content-type application/grpc), by service, method and status (lowercase gRPC code; reset or unanswered without one).",
              kind: .counter, labels: [.init("service", maxLength: 64), .init("method", maxLength: 64), .init("status")]),
        .init(name: "dpdkscope_grpc_messages_total",
              help: "gRPC messages counted from their length prefixes, by service, method and direction (request, response).",
              kind: .counter, labels: [.init("service", maxLength: 64), .init("method", maxLength: 64), .init("direction")]),
        // No digit in a name (the registry rewrites them): not "http2".
        .init(name: "dpdkscope_stream_resets_total",
              help: "HTTP/2 streams ended by RST_STREAM, by error code and by who sent it (client, server).",
              kind: .counter, labels: [.init("error_code"), .init("by")]),
        .init(name: "dpdkscope_grpc_call_duration_seconds",
              help: "gRPC call latency, from the request's HEADERS to the stream's end, by service and method.",
              kind: .duration, labels: [.init("service", maxLength: 64), .init("method", maxLength: 64)]),
    ], observe: { event, observations in
        guard let stream = event.details as? HTTP2Transaction else { return }
        if let reset = stream.reset {
            observations.count(resets, HTTP2Names.errorCode(reset.code), reset.byClient ? "client" : "server")
        }
        guard let grpc = stream.grpc else { return }
        observations.count(grpcCalls, grpc.service, grpc.method, event.outcome)
        observations.measure(grpcDuration, grpc.service, grpc.method, nanoseconds: event.duration)
        if grpc.requestMessages.messages > 0 {
            observations.count(grpcMessages, grpc.service, grpc.method, "request", by: grpc.requestMessages.messages)
        }
        if grpc.responseMessages.messages > 0 {
            observations.count(grpcMessages, grpc.service, grpc.method, "response", by: grpc.responseMessages.messages)
        }
    })
}
