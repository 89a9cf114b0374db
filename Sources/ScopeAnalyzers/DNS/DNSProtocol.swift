/// DNS over UDP and TCP: one correlator per engine pairs queries and
/// responses by id and endpoints, across datagrams and streams.
enum DNSProtocol {
    static let definition = ProtocolDefinition(
        name: "dns", title: "DNS", defaultPorts: [53], transports: [.tcp, .udp],
        options: [
            ProtocolOption(key: "include_authorities", defaultValue: .flag(false), reference: [
                "Add the authority and additional records to events, not only counts.",
            ]) { value, configuration in
                if case .flag(let on) = value { configuration.includeDNSAuthorities = on }
            },
            ProtocolOption(key: "include_additionals", defaultValue: .flag(false), reference: []) { value, configuration in
                if case .flag(let on) = value { configuration.includeDNSAdditionals = on }
            },
        ],
        detectStream: { DNSDetection.matchStream($0) }, streamSample: [0, 19] + query,
        detectDatagram: { DNSDetection.matchDatagram($0) }, datagramSample: query,
        // NetBIOS name service (137) is not DNS; mDNS (5353) and LLMNR
        // (5355) are DNS-shaped but their own protocols, not analysed yet:
        // left out, not reported as unicast DNS.
        lookalikePorts: [137, 5353, 5355],
        makeStreamAnalyzer: { DNSStreamSession(endpoints: $0, context: $1) },
        makePacketAnalyzer: { DNSCorrelator(context: $0) })

    /// A query for "a", type A: id, RD flag, one question.
    private static let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]
}

extension ApplicationProtocol {
    public static let dns = ApplicationProtocol(registered: "dns")
}

extension DNSCorrelator: PacketAnalyzer {}

extension AnalyzerContext {
    /// The engine's DNS correlator, shared by UDP and every TCP stream.
    var dns: DNSCorrelator { unsafeDowncast(packetAnalyzer(.dns), to: DNSCorrelator.self) }
}
