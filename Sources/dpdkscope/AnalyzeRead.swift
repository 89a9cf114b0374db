import ArgumentParser
import ScopeDecode

import ScopeAnalyzers

/// `read --proto/--analyze`: every decoded packet also goes through an
/// `AnalysisEngine`; transactions are printed as they complete.
struct ReadAnalysis {
    private var engine: AnalysisEngine
    private let json: Bool

    /// nil when no analysis was asked for.
    init?(_ options: AnalyzeOptions, json: Bool) throws {
        guard options.requested else { return nil }
        engine = AnalysisEngine(configuration: try options.configuration())
        self.json = json
    }

    mutating func process(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64,
                          into output: inout [UInt8]) {
        let json = self.json
        engine.process(packet, bytes: bytes, timestamp: timestamp) { Self.write($0, json: json, to: &output) }
    }

    mutating func finish(into output: inout [UInt8]) {
        let json = self.json
        engine.finish { Self.write($0, json: json, to: &output) }
    }

    static func write(_ event: TransactionEvent, json: Bool, to output: inout [UInt8]) {
        if json { event.appendJSON(to: &output) } else { output += event.line.utf8 }
        output.append(0x0A)
    }

    var statsFields: [(String, UInt64)] { engine.statsFields }
}

extension AnalysisEngine {
    /// Analyzer counters for `--stats`: per protocol, then the TCP streams under them.
    var statsFields: [(String, UInt64)] {
        var fields: [(String, UInt64)] = []
        for proto in configuration.selection.enabled {
            fields += counters(for: proto).fields.map { ("\(proto.rawValue)_\($0.0)", $0.1) }
        }
        let streams = streamCounters
        fields += [("tcp_streams", streams.opened), ("tcp_stream_gaps", streams.gaps),
                   ("tcp_stream_gap_bytes", streams.gapBytes), ("tcp_retransmits_dropped", streams.retransmitsDropped),
                   ("tcp_out_of_order_segments", streams.outOfOrderSegments)]
        return fields
    }
}
