extension AnalysisEngine {
    /// Analyzer counters for `--stats`: per protocol whose analyzer runs
    /// (`--proto grpc`: http2's, which carries it), then the TCP streams under them.
    public var statsFields: [(String, UInt64)] {
        var fields: [(String, UInt64)] = []
        for proto in configuration.selection.analyzed {
            fields += counters(for: proto).fields.map { ("\(proto.rawValue)_\($0.0)", $0.1) }
        }
        let streams = streamCounters
        fields += [("tcp_streams", streams.opened), ("tcp_stream_gaps", streams.gaps),
                   ("tcp_stream_gap_bytes", streams.gapBytes), ("tcp_retransmits_dropped", streams.retransmitsDropped),
                   ("tcp_out_of_order_segments", streams.outOfOrderSegments)]
        return fields
    }
}
