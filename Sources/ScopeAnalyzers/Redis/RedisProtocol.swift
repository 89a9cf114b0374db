/// Redis (RESP2 and RESP3): commands and replies paired in order, pushes
/// reported on their own.
enum RedisProtocol {
    static let definition = ProtocolDefinition(
        name: "redis", title: "Redis", defaultPorts: [6379], transports: .tcp,
        detectStream: { RedisDetection.match($0) }, streamSample: Array("*1\r\n$4\r\nPING\r\n".utf8),
        makeStreamAnalyzer: { RedisSession(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let redis = ApplicationProtocol(registered: "redis")
}
