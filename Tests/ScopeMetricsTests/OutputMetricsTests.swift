import ScopeMetrics
import Testing

@Suite("Export output counters on /metrics")
struct OutputMetricsTests {
    @Test func countersFollowTheOutputsCumulativeCounts() {
        let metrics = AgentMetrics()
        nonisolated(unsafe) var samples = [OutputSample(output: "otlp_traces", sent: 10, retried: 2, spooled: 4, dropped: 1)]
        metrics.outputSource = { samples }
        var text = metrics.exposition()
        #expect(text.contains(#"dpdkscope_output_sent_total{output="otlp_traces"} 10"#))
        #expect(text.contains(#"dpdkscope_output_retried_total{output="otlp_traces"} 2"#))
        #expect(text.contains(#"dpdkscope_output_spooled_total{output="otlp_traces"} 4"#))
        #expect(text.contains(#"dpdkscope_output_dropped_total{output="otlp_traces"} 1"#))
        samples = [OutputSample(output: "otlp_traces", sent: 25, retried: 2, spooled: 4, dropped: 3),
                   OutputSample(output: "otlp_logs", sent: 7, retried: 0, spooled: 0, dropped: 0)]
        text = metrics.exposition()
        #expect(text.contains(#"dpdkscope_output_sent_total{output="otlp_traces"} 25"#))
        #expect(text.contains(#"dpdkscope_output_dropped_total{output="otlp_traces"} 3"#))
        #expect(text.contains(#"dpdkscope_output_sent_total{output="otlp_logs"} 7"#))
    }
}
