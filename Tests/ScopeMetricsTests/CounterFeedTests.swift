import Foundation
@testable import ScopeMetrics
import Testing

/// The cumulative feeds: capture samples, decoder and analyzer counters,
/// and the process gauges.
@Suite struct CounterFeedTests {
    static func sample(_ base: UInt64, occupancy: Int = 0) -> CaptureSample {
        CaptureSample(port: "net_tap0", queue: 1, direction: "rx", accepted: base, filtered: base + 1,
                      nombuf: base + 2, ringfull: base + 3, dequeuedPackets: base + 4, dequeuedBytes: base + 5,
                      writtenPackets: base + 6, writtenBytes: base + 7, ringOccupancy: occupancy, ringCapacity: 4096)
    }

    @Test func captureCountersAdvanceByDeltasAndSurviveRestarts() {
        let metrics = AgentMetrics()
        metrics.updateCapture([Self.sample(10, occupancy: 5)])
        metrics.updateCapture([Self.sample(30, occupancy: 7)])
        // The capture restarted: its counters start again from zero.
        metrics.updateCapture([Self.sample(4, occupancy: 1)])
        let text = Exposition(metrics.exposition())
        #expect(text.problems == [])
        let tuple = ["port": "net_tap0", "queue": "1", "direction": "rx"]
        #expect(text.sum("dpdkscope_pdump_packets_total", tuple.merging(["outcome": "accepted"]) { $1 }) == 34)
        #expect(text.sum("dpdkscope_pdump_packets_total", tuple.merging(["outcome": "ringfull"]) { $1 }) == 33 + 7)
        #expect(text.sum("dpdkscope_pdump_packets_total", tuple) == 34 + 36 + 38 + 40)
        #expect(text.sum("dpdkscope_capture_dequeued_packets_total", tuple) == 34 + 8)
        #expect(text.sum("dpdkscope_capture_written_bytes_total", tuple) == 37 + 11)
        #expect(text.sum("dpdkscope_capture_ring_occupancy", tuple) == 1)
        #expect(text.sum("dpdkscope_capture_ring_capacity", tuple) == 4096)
    }

    @Test func decoderCounters() {
        let metrics = AgentMetrics()
        metrics.updateDecoder(errorsByReason: [("truncated", 3), ("bad checksum", 1)], flowsActive: 9,
                              flowsCreated: 20, flowsEvicted: 2)
        metrics.updateDecoder(errorsByReason: [("truncated", 5), ("bad checksum", 1)], flowsActive: 4,
                              flowsCreated: 25, flowsEvicted: 3)
        let text = Exposition(metrics.exposition())
        #expect(text.problems == [])
        #expect(text.sum("dpdkscope_decoder_errors_total", ["reason": "truncated"]) == 5)
        #expect(text.sum("dpdkscope_decoder_errors_total", ["reason": "bad checksum"]) == 1)
        #expect(text.sum("dpdkscope_flows_active") == 4)
        #expect(text.sum("dpdkscope_flows_created_total") == 25)
        #expect(text.sum("dpdkscope_flows_evicted_total") == 3)
    }

    @Test func analyzerCountersFromStatsFields() throws {
        let analysis = try CaptureEvents.analyze("redis.pcap")
        let fields = analysis.statsFields
        let metrics = AgentMetrics()
        metrics.updateAnalyzer(fields)
        metrics.updateAnalyzer(fields)
        let text = Exposition(metrics.exposition())
        #expect(text.problems == [])
        let requests = analysis.engine.counters(for: .redis).requests
        #expect(requests > 0)
        #expect(text.sum("dpdkscope_analyzer_events_total", ["protocol": "redis", "counter": "requests"]) == Double(requests))
        #expect(text.sum("dpdkscope_analyzer_events_total", ["protocol": "tcp", "counter": "streams"])
                == Double(analysis.engine.streamCounters.opened))
        #expect(text.matching("dpdkscope_analyzer_events_total").count == fields.count)
    }

    @Test func processGauges() {
        let metrics = AgentMetrics()
        metrics.updateProcess()
        let text = Exposition(metrics.exposition())
        #expect(text.problems == [])
        #expect(text.sum("process_resident_memory_bytes") > 1_000_000)
        let start = text.sum("process_start_time_seconds")
        let now = Date().timeIntervalSince1970
        #expect(start > now - 86_400 && start <= now + 1)
        let uptime = text.sum("dpdkscope_uptime_seconds")
        #expect(uptime >= 0 && abs((now - start) - uptime) < 5)
        #expect(text.types["process_resident_memory_bytes"] == "gauge")
        #expect(text.types["dpdkscope_requests_total"] == nil)
    }
}
