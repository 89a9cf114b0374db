@testable import ScopeAnalyzers
import ScopeDecode

/// One real event per registered protocol, made from the protocol's own
/// sample (`ProtocolDefinition.streamSample`/`datagramSample`, or an echo
/// request for ICMP): what the registry walks in every test target feed
/// into the part they test (JSON, `/metrics`, the dashboard).
public enum RegistrySamples {
    /// nil when the definition gives nothing to make an event from (the
    /// analyzers' registry test fails on such a definition).
    public static func event(for proto: ApplicationProtocol) -> TransactionEvent? {
        var engine = AnalysisEngine()
        var events: [TransactionEvent] = []
        let definition = proto.definition
        if let sample = definition.streamSample {
            // Straight into a session table, found by content on an unconfigured port.
            let context = AnalyzerContext(configuration: AnalyzerConfiguration())
            var table = TCPSessionTable(context: context)
            let (key, _) = FlowKey.make(source: IPAddress("10.0.0.1")!, sourcePort: 40000,
                                        destination: IPAddress("10.0.0.2")!, destinationPort: 40999, ipProtocol: 6)
            let stream = TCPStream(id: TCPStreamID(slot: 0, generation: 1), key: key, client: nil)
            table.opened(stream, timestamp: 0)
            let fromClient = sample.withUnsafeBytes { proto.detect($0, transport: .tcp) } != .fromServer
            sample.withUnsafeBytes {
                table.deliver($0, stream: stream, direction: fromClient ? .fromLow : .fromHigh, timestamp: 1)
            }
            table.closed(stream, reason: .fin, timestamp: 2)
            context.drainCorrelators(now: 3)
            context.drainEvents { events.append($0) }
            return events.first
        }
        var packet = DecodedPacket()
        packet.source = IPAddress("10.0.0.1")!
        packet.destination = IPAddress("10.0.0.2")!
        var bytes: [UInt8]
        if let sample = definition.datagramSample {
            packet.transport = .udp
            (packet.sourcePort, packet.destinationPort) = (40000, 40999)
            (packet.payloadOffset, packet.payloadLength) = (0, sample.count)
            bytes = sample
        } else if proto.runsOverICMP {
            packet.transport = .icmpv4
            (packet.icmp.type, packet.icmp.echoIdentifier, packet.icmp.echoSequence) = (8, 1, 1)
            (packet.payloadOffset, packet.payloadLength) = (8, 8)
            bytes = [UInt8](repeating: 0, count: 16)
        } else {
            return nil
        }
        bytes.withUnsafeBytes { engine.process(packet, bytes: $0, timestamp: 1) { events.append($0) } }
        engine.finish { events.append($0) }
        return events.first
    }
}
