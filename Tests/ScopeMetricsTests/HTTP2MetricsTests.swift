import ScopeAnalyzers
import ScopeDecode
@testable import ScopeMetrics
import ScopeTestSupport
import Testing

/// gRPC series from grpc.pcap's calls (make-grpc.sh: unary, streaming, an
/// error, a deadline, a cancel): calls by service, method and status, and
/// messages by direction, agree with the events; resets by error code.
@Suite struct HTTP2MetricsTests {
    static func streams() throws -> [(TransactionEvent, HTTP2Transaction)] {
        try FixtureAnalysis.analyze("grpc.pcap", configuration: AnalyzerConfiguration()).events.compactMap { event in
            (event.details as? HTTP2Transaction).map { (event, $0) }
        }
    }

    @Test func grpcCallsMessagesAndResets() throws {
        let streams = try Self.streams()
        #expect(streams.filter { $0.1.grpc != nil }.count >= 7)
        let metrics = AgentMetrics()
        streams.forEach { metrics.record($0.0) }
        let text = TransactionMetricsTests.exposition(metrics)

        var calls: [String: Double] = [:], messages: [String: Double] = [:], resets: [String: Double] = [:]
        for (event, stream) in streams {
            if let reset = stream.reset { resets["\(reset.code) \(reset.byClient)", default: 0] += 1 }
            guard let grpc = stream.grpc else { continue }
            calls["\(grpc.service) \(grpc.method) \(event.outcome)", default: 0] += 1
            messages["\(grpc.service) \(grpc.method) request", default: 0] += Double(grpc.requestMessages.messages)
            messages["\(grpc.service) \(grpc.method) response", default: 0] += Double(grpc.responseMessages.messages)
        }
        var seenCalls: [String: Double] = [:], seenMessages: [String: Double] = [:]
        for sample in text.matching("dpdkscope_grpc_calls_total") {
            seenCalls["\(sample.labels["service"]!) \(sample.labels["method"]!) \(sample.labels["status"]!)", default: 0] += sample.value
        }
        for sample in text.matching("dpdkscope_grpc_messages_total") {
            seenMessages["\(sample.labels["service"]!) \(sample.labels["method"]!) \(sample.labels["direction"]!)", default: 0] += sample.value
        }
        #expect(seenCalls == calls)
        #expect(seenMessages == messages.filter { $0.value > 0 })
        #expect(seenCalls.keys.contains { $0.hasSuffix(" deadline_exceeded") || $0.hasSuffix(" not_found") })
        #expect(text.sum("dpdkscope_stream_resets_total") == resets.values.reduce(0, +))
        #expect(!resets.isEmpty, "the cancelled call and the deadline end in RST_STREAM")
    }

    /// One latency histogram per service and method: its count is the
    /// method's calls, its sum their durations; the slowest (the deadline)
    /// lands above the fastest bucket.
    @Test func grpcCallDurationsPerMethod() throws {
        let streams = try Self.streams()
        let metrics = AgentMetrics()
        streams.forEach { metrics.record($0.0) }
        let text = TransactionMetricsTests.exposition(metrics)
        var counts: [String: Double] = [:], sums: [String: Double] = [:]
        for (event, stream) in streams {
            guard let grpc = stream.grpc else { continue }
            counts["\(grpc.service) \(grpc.method)", default: 0] += 1
            sums["\(grpc.service) \(grpc.method)", default: 0] += Double(event.duration) / 1e9
        }
        var seenCounts: [String: Double] = [:], seenSums: [String: Double] = [:]
        for sample in text.matching("dpdkscope_grpc_call_duration_seconds_count") {
            seenCounts["\(sample.labels["service"]!) \(sample.labels["method"]!)", default: 0] += sample.value
        }
        for sample in text.matching("dpdkscope_grpc_call_duration_seconds_sum") {
            seenSums["\(sample.labels["service"]!) \(sample.labels["method"]!)", default: 0] += sample.value
        }
        #expect(seenCounts == counts && counts.count >= 3)
        for (key, sum) in sums { #expect(abs((seenSums[key] ?? -1) - sum) < 1e-6, "\(key)") }
        #expect(text.types["dpdkscope_grpc_call_duration_seconds"] == "histogram" && text.problems.isEmpty)
    }
}
