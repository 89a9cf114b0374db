/// TLS on any TCP port, found by content: one event per handshake, from
/// what travels in clear (hellos, TLS ≤ 1.2 certificates, alerts) and the
/// sizes and times of the encrypted records (see TLSSession).
enum TLSProtocol {
    static let definition = ProtocolDefinition(
        name: "tls", title: "TLS", defaultPorts: [443, 993, 995, 5223, 8443, 8883, 9243], transports: .tcp,
        detectStream: { TLSDetection.match($0) },
        // A whole minimal ClientHello: TLS 1.2, one suite, no extensions.
        streamSample: [0x16, 0x03, 0x01, 0x00, 0x2F, 0x01, 0x00, 0x00, 0x2B, 0x03, 0x03] + [UInt8](repeating: 0, count: 32)
            + [0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x00],
        metrics: TLSMetrics.definition,
        makeStreamAnalyzer: { TLSSession(endpoints: $0, context: $1) })
}

extension ApplicationProtocol {
    public static let tls = ApplicationProtocol(registered: "tls")
}
