import Foundation
import ScopeAnalyzers
import ScopeDecode
import ScopePcap

/// The fixture captures through the same path `dpdkscope read` takes
/// (CaptureFileReader → PacketPipeline → AnalysisEngine).
enum CaptureEvents {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/captures").path

    struct Analysis {
        var events: [TransactionEvent]
        var engine: AnalysisEngine

        /// As `AnalysisEngine.statsFields` in the CLI gives them.
        var statsFields: [(String, UInt64)] {
            var fields: [(String, UInt64)] = []
            for proto in engine.configuration.selection.enabled {
                fields += engine.counters(for: proto).fields.map { ("\(proto.rawValue)_\($0.0)", $0.1) }
            }
            let streams = engine.streamCounters
            fields += [("tcp_streams", streams.opened), ("tcp_stream_gaps", streams.gaps)]
            return fields
        }
    }

    static func analyze(_ name: String) throws -> Analysis {
        let reader = try CaptureFileReader(path: directory + "/" + name)
        var pipeline = PacketPipeline()
        var engine = AnalysisEngine()
        var events: [TransactionEvent] = []
        while let packet = try reader.next() {
            guard packet.linkType == 1 else { continue }
            let timestamp = packet.timestamp
            pipeline.process(packet.bytes, linkType: .ethernet, timestamp: timestamp, inspect: { decoded, bytes, _ in
                engine.process(decoded, bytes: bytes, timestamp: timestamp) { events.append($0) }
            }, emit: { _ in })
        }
        engine.finish { events.append($0) }
        return Analysis(events: events, engine: engine)
    }

    static func events(_ name: String) throws -> [TransactionEvent] { try analyze(name).events }
}
