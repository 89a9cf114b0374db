import Foundation
import ScopeAnalyzers
@testable import ScopeMetrics
import Testing

/// An agent with several capture loops: each reports its own cumulative
/// counters as a source, and hands over events in batches from its own
/// thread while scrapes run.
@Suite struct MultiWorkerTests {
    @Test func decoderSourcesAddUpAndRestartAlone() {
        let metrics = AgentMetrics()
        metrics.updateDecoder(errorsByReason: [("truncated", 3)], flowsActive: 9, flowsCreated: 20, flowsEvicted: 2, source: 0)
        metrics.updateDecoder(errorsByReason: [("truncated", 4)], flowsActive: 5, flowsCreated: 7, flowsEvicted: 1, source: 1)
        metrics.updateDecoder(errorsByReason: [("truncated", 6)], flowsActive: 2, flowsCreated: 30, flowsEvicted: 2, source: 0)
        // Worker 1 got a new pipeline (a reload): its counters start again.
        metrics.updateDecoder(errorsByReason: [("truncated", 1)], flowsActive: 1, flowsCreated: 2, flowsEvicted: 0, source: 1)
        let text = Exposition(metrics.exposition())
        #expect(text.problems == [])
        #expect(text.sum("dpdkscope_decoder_errors_total", ["reason": "truncated"]) == 6 + 4 + 1)
        #expect(text.sum("dpdkscope_flows_created_total") == 30 + 7 + 2)
        #expect(text.sum("dpdkscope_flows_evicted_total") == 2 + 1)
        #expect(text.sum("dpdkscope_flows_active") == 2 + 1)
    }

    @Test func analyzerSourcesAddUp() {
        let metrics = AgentMetrics()
        metrics.updateAnalyzer([("http_requests", 10)], source: 0)
        metrics.updateAnalyzer([("http_requests", 3)], source: 2)
        metrics.updateAnalyzer([("http_requests", 12)], source: 0)
        metrics.updateAnalyzer([("http_requests", 5)], source: 2)
        // Out of range: ignored rather than trapping or growing without bound.
        metrics.updateAnalyzer([("http_requests", 1_000)], source: CumulativeCounter.maxSources)
        metrics.updateAnalyzer([("http_requests", 1_000)], source: -1)
        let text = Exposition(metrics.exposition())
        #expect(text.sum("dpdkscope_analyzer_events_total", ["protocol": "http", "counter": "requests"]) == 17)
    }

    @Test func batchesFromConcurrentLoopsAreAllCounted() throws {
        let events = try CaptureEvents.events("redis.pcap") + CaptureEvents.events("http.pcap")
        let expected = Dictionary(grouping: events, by: \.application).mapValues(\.count)
        let metrics = AgentMetrics(policy: .init(serverLabel: true))
        let loops = 4, rounds = 3
        let done = DispatchGroup()
        // All loops start at once: their first batches create the series
        // together, where an unguarded writer side would corrupt its tables.
        let start = DispatchSemaphore(value: 0)
        for loop in 0..<loops {
            done.enter()
            Thread.detachNewThread {
                start.wait()
                // Every loop records every event `rounds` times, 64 at a time,
                // with its running count as its analyzer counter after each batch.
                var recorded: UInt64 = 0
                for _ in 0..<rounds {
                    var start = 0
                    while start < events.count {
                        let batch = Array(events[start..<min(start + 64, events.count)])
                        metrics.record(batch)
                        recorded += UInt64(batch.count)
                        metrics.updateAnalyzer([("redis_requests", recorded)], source: loop)
                        start += 64
                    }
                }
                done.leave()
            }
        }
        for _ in 0..<loops { start.signal() }
        var scrapes = 0
        while done.wait(timeout: .now()) == .timedOut {
            #expect(Exposition(metrics.exposition()).problems == [])
            scrapes += 1
        }
        let text = Exposition(metrics.exposition())
        #expect(text.problems == [])
        for (application, count) in expected {
            let total = text.sum("dpdkscope_requests_total", ["protocol": application.rawValue])
            #expect(total == Double(count * loops * rounds), "\(application)")
            let histogram = text.sum("dpdkscope_request_duration_seconds_count", ["protocol": application.rawValue])
            #expect(histogram == Double(count * loops * rounds), "\(application)")
        }
        #expect(text.sum("dpdkscope_analyzer_events_total", ["protocol": "redis", "counter": "requests"])
                == Double(events.count * loops * rounds))
        #expect(scrapes > 0)
    }
}
