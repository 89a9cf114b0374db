@testable import ScopeAnalyzers
import ScopeDecode
import ScopeTestSupport
import Testing

/// Walks every registered protocol through what the registry derives from
/// its definition: a protocol registered by halves fails here instead of
/// silently never being found. (The YAML reader and `/metrics` are walked
/// in ScopeConfigTests and ScopeMetricsTests.)
@Suite struct RegistryTests {
    static let all = ApplicationProtocol.allCases

    @Test("names are unique and map back to their protocol")
    func names() {
        #expect(Set(Self.all.map(\.rawValue)).count == Self.all.count)
        for proto in Self.all {
            #expect(ApplicationProtocol(rawValue: proto.rawValue) == proto)
            #expect(proto.rawValue == proto.rawValue.lowercased() && !proto.rawValue.contains(where: { $0 == ":" || $0 == ";" }))
        }
        #expect(ApplicationProtocol(rawValue: "nosuch") == nil)
    }

    @Test("a definition has what its transports need", arguments: all)
    func complete(_ proto: ApplicationProtocol) {
        let definition = proto.definition
        // A carried protocol (gRPC) has nothing but its carrier, which has transports of its own.
        #expect(definition.transports.isEmpty == (proto.carrier != nil))
        #expect(proto.carrier.map { !$0.definition.transports.isEmpty && $0.carried.contains(proto) } ?? true)
        #expect(proto.runsOverTCP == (definition.makeStreamAnalyzer != nil), "TCP needs a session factory")
        #expect((proto.runsOverUDP || proto.runsOverICMP) == (definition.makePacketAnalyzer != nil),
                "UDP and ICMP need a packet analyzer")
        #expect((definition.detectStream != nil) == (definition.streamSample != nil), "a stream detector needs a sample")
        #expect((definition.detectDatagram != nil) == (definition.datagramSample != nil), "a datagram detector needs a sample")
        #expect(definition.detectStream == nil || proto.runsOverTCP)
        #expect(definition.detectDatagram == nil || proto.runsOverUDP)
        #expect(definition.defaultPorts.isEmpty == !(proto.runsOverTCP || proto.runsOverUDP))
        #expect(Set(definition.options.map(\.key)).count == definition.options.count)
        #expect(!definition.options.contains { ["enabled", "ports"].contains($0.key) })
    }

    @Test("--proto names it, with its default ports", arguments: all)
    func protoSpec(_ proto: ApplicationProtocol) throws {
        let selection = try ProtocolSelection(parsing: proto.rawValue)
        #expect(selection.enabled == [proto])
        #expect(selection.ports(for: proto) == proto.defaultPorts)
        // Its analyzer runs: its own, or its carrier's on the carrier's default ports.
        #expect(selection.analyzed == [proto.carrier ?? proto])
        #expect(selection.ports(for: proto.carrier ?? proto) == proto.portsByDefault)
        #expect(ProtocolSelection.defaults.isEnabled(proto))
        #expect(ProtocolSelection.knownNames.contains(proto.rawValue))
    }

    @Test("its default ports map to it, and a connection there is its", arguments: all.filter(\.runsOverTCP))
    func byTCPPort(_ proto: ApplicationProtocol) throws {
        let context = AnalyzerContext(configuration: AnalyzerConfiguration())
        for port in proto.defaultPorts { #expect(context.ports.lookup(port, .tcp) == proto) }
        let port = try #require(proto.defaultPorts.first)
        var connection = Connection(context: context, serverPort: port, handshake: true)
        connection.send(proto.definition.streamSample ?? [0x0D, 0x0A], fromClient: true)
        #expect(connection.analyzed)
        #expect(context.counters(proto).detectedByPort == 1)
    }

    @Test("its stream sample is found by content on any port", arguments: all.filter { $0.definition.streamSample != nil })
    func byTCPContent(_ proto: ApplicationProtocol) throws {
        let sample = try #require(proto.definition.streamSample)
        let match = sample.withUnsafeBytes { proto.detect($0, transport: .tcp) }
        #expect(match == .fromClient || match == .fromServer)
        let context = AnalyzerContext(configuration: AnalyzerConfiguration())
        var connection = Connection(context: context, serverPort: 40999, handshake: false)
        connection.send(sample, fromClient: match == .fromClient)
        #expect(connection.analyzed)
        #expect(context.counters(proto).detectedByContent == 1)
        #expect(context.counters(proto).detectedByPort == 0)
    }

    @Test("a datagram on its default port is its", arguments: all.filter(\.runsOverUDP))
    func byUDPPort(_ proto: ApplicationProtocol) throws {
        var engine = AnalysisEngine()
        let port = try #require(proto.defaultPorts.first)
        let payload = proto.definition.datagramSample ?? [0]
        Self.datagram(payload, to: port, engine: &engine)
        #expect(engine.counters(for: proto).detectedByPort == 1)
    }

    @Test("its datagram sample is found by content on any port", arguments: all.filter { $0.definition.datagramSample != nil })
    func byUDPContent(_ proto: ApplicationProtocol) throws {
        var engine = AnalysisEngine()
        Self.datagram(try #require(proto.definition.datagramSample), to: 40999, engine: &engine)
        #expect(engine.counters(for: proto).detectedByContent == 1)
    }

    @Test("its sample makes an event that names it in JSON and lines", arguments: all.filter { $0.carrier == nil })
    func eventNames(_ proto: ApplicationProtocol) throws {
        let event = try #require(RegistrySamples.event(for: proto), "nothing in the definition makes an event")
        #expect(event.application == proto)
        #expect(event.json.contains("\"type\":\"\(proto.rawValue)\""))
        #expect(event.json.contains("\"dataset\":\"\(proto.rawValue)\""))
        #expect(event.json.contains("\"protocol\":\"\(proto.rawValue)\""))
        #expect(event.line.contains(" \(proto.rawValue) "))
    }

    /// One TCP connection fed straight into a session table (no packets).
    struct Connection {
        let context: AnalyzerContext
        var table: TCPSessionTable
        let stream: TCPStream

        init(context: AnalyzerContext, serverPort: UInt16, handshake: Bool) {
            self.context = context
            table = TCPSessionTable(context: context)
            let (key, direction) = FlowKey.make(source: IPAddress("10.0.0.1")!, sourcePort: 40000,
                                                destination: IPAddress("10.0.0.2")!, destinationPort: serverPort,
                                                ipProtocol: 6)
            stream = TCPStream(id: TCPStreamID(slot: 0, generation: 1), key: key, client: handshake ? direction : nil)
            table.opened(stream, timestamp: 0)
        }

        mutating func send(_ bytes: [UInt8], fromClient: Bool) {
            bytes.withUnsafeBytes {
                table.deliver($0, stream: stream, direction: fromClient ? .fromLow : .fromHigh, timestamp: 1)
            }
        }

        var analyzed: Bool { table.sessions[0]?.analyzer != nil }

    }

    /// One UDP datagram from 10.0.0.1:40000 to `port`, through the engine.
    static func datagram(_ payload: [UInt8], to port: UInt16, engine: inout AnalysisEngine) {
        var packet = DecodedPacket()
        packet.transport = .udp
        packet.source = IPAddress("10.0.0.1")!
        packet.destination = IPAddress("10.0.0.2")!
        packet.sourcePort = 40000
        packet.destinationPort = port
        packet.payloadOffset = 0
        packet.payloadLength = payload.count
        payload.withUnsafeBytes { engine.process(packet, bytes: $0, timestamp: 1) { _ in } }
    }
}
