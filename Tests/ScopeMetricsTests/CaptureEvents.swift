import Foundation
import ScopeAnalyzers
import ScopeDecode
import ScopePcap
import ScopeTestSupport

/// The fixture captures through the same path `dpdkscope read` takes
/// (CaptureFileReader → PacketPipeline → AnalysisEngine).
enum CaptureEvents {
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
        let analysis = try FixtureAnalysis.analyze(name)
        return Analysis(events: analysis.events, engine: analysis.engine)
    }

    static func events(_ name: String) throws -> [TransactionEvent] { try analyze(name).events }
}
