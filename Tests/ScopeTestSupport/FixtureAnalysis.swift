import Foundation
import ScopeAnalyzers
import ScopeDecode
import ScopePcap

/// The fixture captures (Tests/Fixtures/captures) through the same path
/// `dpdkscope read` takes: CaptureFileReader → PacketPipeline →
/// AnalysisEngine. Shared by every test target that needs real events.
public enum FixtureAnalysis {
    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/captures").path

    public struct Analysis {
        public var events: [TransactionEvent]
        public var engine: AnalysisEngine
    }

    public static func analyze(_ name: String, configuration: AnalyzerConfiguration = AnalyzerConfiguration()) throws -> Analysis {
        let reader = try CaptureFileReader(path: directory + "/" + name)
        var pipeline = PacketPipeline()
        var engine = AnalysisEngine(configuration: configuration)
        var events: [TransactionEvent] = []
        while let packet = try reader.next() {
            guard let linkType = LinkType(pcapLinkType: packet.linkType) else { continue }
            let timestamp = packet.timestamp
            pipeline.process(packet.bytes, linkType: linkType, timestamp: timestamp, inspect: { decoded, bytes, _ in
                engine.process(decoded, bytes: bytes, timestamp: timestamp) { events.append($0) }
            }, emit: { _ in })
        }
        engine.finish { events.append($0) }
        return Analysis(events: events, engine: engine)
    }

    public static func events(_ name: String) throws -> [TransactionEvent] { try analyze(name).events }

    /// The JSON lines the event file would hold: transactions, then the
    /// capture's flow events (final ones at the end of the file).
    public static func lines(_ name: String) throws -> [[UInt8]] {
        var lines = try events(name).map { Array($0.json.utf8) }
        let reader = try CaptureFileReader(path: directory + "/" + name)
        var pipeline = PacketPipeline()
        var flows: [FlowEvent] = []
        while let packet = try reader.next() {
            guard let linkType = LinkType(pcapLinkType: packet.linkType) else { continue }
            _ = pipeline.process(packet.bytes, linkType: linkType, timestamp: packet.timestamp, inspect: { _, _, _ in },
                                 emit: { flows.append($0) })
        }
        pipeline.finish { flows.append($0) }
        for flow in flows {
            var line: [UInt8] = []
            flow.appendJSON(to: &line)
            lines.append(line)
        }
        return lines
    }
}
