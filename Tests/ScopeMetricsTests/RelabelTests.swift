import Prometheus
import ScopeAnalyzers
import ScopeDecode
import ScopeTestSupport
@testable import ScopeMetrics
import Testing

/// A reload of the label settings (`server`, `vlan`, the caps) changes the
/// metrics in place: no counter on `/metrics` (nor in what remote-write
/// pushes from it) ever goes down, and cumulative sources are not counted
/// twice.
@Suite struct RelabelTests {
    /// Every series of a family by its label set.
    static func series(_ text: Exposition, _ name: String) -> [[String: String]: Double] {
        var values: [[String: String]: Double] = [:]
        for sample in text.matching(name) { values[sample.labels, default: 0] += sample.value }
        return values
    }

    static func expectNoneWentDown(_ before: [[String: String]: Double], _ after: [[String: String]: Double],
                                   _ name: String) {
        for (labels, value) in before {
            #expect((after[labels] ?? -1) >= value, "\(name)\(labels) went from \(value) to \(after[labels] ?? -1)")
        }
    }

    @Test func requestCountersCountOnAcrossLabelChanges() throws {
        let events = try CaptureEvents.events("http.pcap") + CaptureEvents.events("redis.pcap")
        let count = Double(events.count)
        let bytes = Double(events.reduce(0) { $0 + $1.requestBytes })
        let metrics = AgentMetrics()
        let policies = [
            MetricsLabelPolicy(serverLabel: true),
            MetricsLabelPolicy(serverLabel: true, vlanLabel: true, maxLabelValues: 1),
            MetricsLabelPolicy(),
        ]
        metrics.record(events)
        var text = TransactionMetricsTests.exposition(metrics)
        for (round, policy) in policies.enumerated() {
            let families = ["dpdkscope_requests_total", "dpdkscope_request_duration_seconds_count",
                            "dpdkscope_request_bytes_total"]
            let before = families.map { Self.series(text, $0) }
            metrics.relabel(policy)
            #expect(metrics.policy == policy)
            metrics.record(events)
            text = TransactionMetricsTests.exposition(metrics)
            for (family, old) in zip(families, before) { Self.expectNoneWentDown(old, Self.series(text, family), family) }
            let rounds = Double(round + 2)
            #expect(text.sum("dpdkscope_requests_total") == rounds * count, "after \(policy)")
            #expect(text.sum("dpdkscope_request_duration_seconds_count") == rounds * count)
            #expect(text.sum("dpdkscope_request_bytes_total") == rounds * bytes)
        }
        // Back to the first settings: the series without `server` that the
        // first round made counted on, the same events added to them again.
        var checked = 0
        for (labels, value) in Self.series(text, "dpdkscope_requests_total") where labels["server"] == nil
            && labels["vlan"] == nil && labels["method"] == "GET" {
            checked += 1
            let matching = events.filter {
                $0.method == "GET" && $0.application.rawValue == labels["protocol"] && $0.outcome == labels["outcome"]
            }
            #expect(value == 2 * Double(matching.count), "\(labels)")
        }
        #expect(checked > 0)
    }

    @Test func cumulativeSourcesAreNotCountedTwice() {
        let metrics = AgentMetrics()
        metrics.updateDecoder(errorsByReason: [("truncated", 5), ("badChecksum", 2)], flowsActive: 1,
                              flowsCreated: 10, flowsEvicted: 1, source: 0)
        metrics.updateAnalyzer([("http_requests", 10), ("redis_requests", 4)], source: 1)
        // A cap of one: "badChecksum" moves to "other", which starts from zero.
        metrics.relabel(MetricsLabelPolicy(maxLabelValues: 1))
        metrics.updateDecoder(errorsByReason: [("truncated", 7), ("badChecksum", 3)], flowsActive: 1,
                              flowsCreated: 12, flowsEvicted: 1, source: 0)
        metrics.updateAnalyzer([("http_requests", 12), ("redis_requests", 6)], source: 1)
        let text = TransactionMetricsTests.exposition(metrics)
        #expect(text.sum("dpdkscope_decoder_errors_total", ["reason": "truncated"]) == 7)
        #expect(text.sum("dpdkscope_decoder_errors_total", ["reason": "badChecksum"]) == 2)
        #expect(text.sum("dpdkscope_decoder_errors_total", ["reason": "other"]) == 1)
        #expect(text.sum("dpdkscope_flows_created_total") == 12)
        #expect(text.sum("dpdkscope_analyzer_events_total", ["protocol": "http"]) == 12)
        #expect(text.sum("dpdkscope_analyzer_events_total", ["protocol": "redis"]) == 6)
    }

    /// A family without labels of its own that takes `server` when opted in
    /// keeps the shape of its first series: the registry traps on one
    /// family both with and without labels.
    @Test func aFamilyWithoutLabelsKeepsItsFirstShape() throws {
        for first in [false, true] {
            let registry = PrometheusCollectorRegistry(), shapes = FamilyShapes()
            var serverSeen = false
            for serverLabel in [first, !first, first] {
                serverSeen = serverSeen || serverLabel
                let series = ProtocolFamilySeries(ProtocolFamilySeriesTests.metrics, registry: registry,
                                                  policy: MetricsLabelPolicy(serverLabel: serverLabel), shapes: shapes)
                series.record(try ProtocolFamilySeriesTests.event("A OK", server: 80))
                let text = ProtocolFamilySeriesTests.exposition(series, registry)
                let inFlight = text.matching("dpdkscope_test_in_flight")
                #expect(inFlight.count == 1 && inFlight.allSatisfy { ($0.labels["server"] != nil) == first })
                // The family that needs the label has it from its first series on.
                #expect(text.matching("dpdkscope_test_last_seen_seconds").count == (serverSeen ? 1 : 0))
            }
        }
    }

    /// Families a protocol declares, with the server label required (TLS)
    /// or not (gRPC), survive the label turned on and off.
    @Test func protocolFamiliesSurviveServerToggles() throws {
        let tls = try ProtocolSelection(parsing: "tls:8443,8444,8445")
        let events = try FixtureAnalysis.analyze("tls.pcap", configuration: AnalyzerConfiguration(selection: tls)).events
            + FixtureAnalysis.analyze("grpc.pcap", configuration: AnalyzerConfiguration()).events
        let metrics = AgentMetrics()
        var previous: [String: [[String: String]: Double]] = [:]
        for serverLabel in [false, true, false, true] {
            metrics.relabel(MetricsLabelPolicy(serverLabel: serverLabel))
            metrics.record(events)
            let text = TransactionMetricsTests.exposition(metrics)
            let counters = Set(text.samples.map(\.name)).filter { $0.hasSuffix("_total") || $0.hasSuffix("_count") }
            for name in counters {
                let now = Self.series(text, name)
                Self.expectNoneWentDown(previous[name] ?? [:], now, name)
                previous[name] = now
            }
        }
        #expect(previous.keys.contains { $0.hasPrefix("dpdkscope_tls") }, "\(previous.keys.sorted())")
    }
}
