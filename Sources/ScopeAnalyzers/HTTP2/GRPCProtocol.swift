/// gRPC as a name a user can select on its own (`--proto grpc`,
/// `protocols.grpc`): carried by HTTP/2, it has no ports, detector or
/// session of its own. Selecting it runs the HTTP/2 analyzer (on HTTP/2's
/// ports unless given others) and, when `http2` itself is not selected,
/// reports only the streams that are gRPC calls. Those stay `type: http2`
/// events with `rpc.system: grpc` (see HTTP2/README.md for why).
enum GRPCProtocol {
    static let definition = ProtocolDefinition(
        name: "grpc", title: "gRPC (in HTTP/2)", defaultPorts: [], transports: [],
        reference: ["gRPC calls, carried by http2: with http2 disabled and grpc enabled, the http2",
                    "analyzer runs (on http2's ports) and reports only its streams that are gRPC calls.",
                    "Without its own enabled key, grpc follows http2's."],
        carriedBy: "http2")
}

extension ApplicationProtocol {
    public static let grpc = ApplicationProtocol(registered: "grpc")
}
