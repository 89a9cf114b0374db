import ScopeAnalyzers
import ScopeDecode
import Prometheus
@testable import ScopeMetrics
import Testing

/// Families a protocol declares of its own (`ProtocolDefinition.metrics`)
/// are exported without code for the protocol in this module: labels in
/// the declared order, values cut and folded by the policy, the server
/// label as the family asks.
@Suite struct ProtocolFamilySeriesTests {
    static let calls = 0
    static let inFlight = 1
    static let lastSeen = 2

    /// A made-up protocol's families: a counter by two labels, a gauge with
    /// the server label when opted in, a gauge that needs it.
    static let metrics = ProtocolMetrics(families: [
        .init(name: "dpdkscope_test_calls_total", help: "Calls.", kind: .counter,
              labels: [.init("service", maxLength: 8), .init("status")]),
        .init(name: "dpdkscope_test_in_flight", help: "In flight.", kind: .gauge, labels: [], server: .whenOptedIn),
        .init(name: "dpdkscope_test_last_seen_seconds", help: "Last seen.", kind: .gauge, labels: [], server: .required),
    ], observe: { event, observations in
        // The method carries "service status" in these tests.
        let words = event.method.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        observations.count(calls, words[0], words.count > 1 ? words[1] : "", by: 2)
        observations.set(inFlight, to: Double(event.requestBytes))
        observations.set(lastSeen, to: 7)
        observations.count(99, "ignored")
    })

    static func event(_ method: String, server port: UInt16 = 80, requestBytes: UInt64 = 1) throws -> TransactionEvent {
        var event = try #require(CaptureEvents.events("http.pcap").first)
        event.details = TransactionMetricsTests.http(event, method: method).details
        event.endpoints.serverPort = port
        event.requestBytes = requestBytes
        return event
    }

    static func exposition(_ series: ProtocolFamilySeries, _ registry: PrometheusCollectorRegistry) -> Exposition {
        let exposition = Exposition(String(decoding: registry.emitToBuffer(), as: UTF8.self))
        #expect(exposition.problems == [])
        return exposition
    }

    @Test func countersAndGaugesByDeclaredLabels() throws {
        let registry = PrometheusCollectorRegistry()
        let series = ProtocolFamilySeries(Self.metrics, registry: registry, policy: MetricsLabelPolicy())
        series.record(try Self.event("Greeter OK", requestBytes: 5))
        series.record(try Self.event("Greeter OK", requestBytes: 9))
        series.record(try Self.event("VeryLongServiceName\u{1} ", requestBytes: 3))
        let text = Self.exposition(series, registry)
        #expect(text.sum("dpdkscope_test_calls_total", ["service": "Greeter", "status": "OK"]) == 4)
        // Cut to the label's 8 bytes; an empty value is "?".
        #expect(text.sum("dpdkscope_test_calls_total", ["service": "VeryLong", "status": "?"]) == 2)
        #expect(text.matching("dpdkscope_test_calls_total").allSatisfy { Set($0.labels.keys) == ["service", "status"] })
        // The last value set wins; no server label unless opted in; the family needing it is absent.
        #expect(text.matching("dpdkscope_test_in_flight").map(\.value) == [3])
        #expect(text.matching("dpdkscope_test_in_flight").allSatisfy { $0.labels.isEmpty })
        #expect(text.matching("dpdkscope_test_last_seen_seconds").isEmpty)
        // Whole counts render as integers, as the request series do.
        #expect(String(decoding: registry.emitToBuffer(), as: UTF8.self).contains("status=\"OK\"} 4\n"))
    }

    @Test func serverLabelWhenOptedIn() throws {
        let registry = PrometheusCollectorRegistry()
        let series = ProtocolFamilySeries(Self.metrics, registry: registry, policy: MetricsLabelPolicy(serverLabel: true))
        series.record(try Self.event("A OK", server: 80))
        series.record(try Self.event("A OK", server: 81))
        let text = Self.exposition(series, registry)
        #expect(text.matching("dpdkscope_test_in_flight").count == 2)
        #expect(Set(text.matching("dpdkscope_test_last_seen_seconds").compactMap { $0.labels["server"] }).count == 2)
        #expect(text.matching("dpdkscope_test_calls_total").allSatisfy { $0.labels["server"] == nil })
    }

    @Test func valuesAndSeriesAreCapped() throws {
        let registry = PrometheusCollectorRegistry()
        let series = ProtocolFamilySeries(Self.metrics, registry: registry,
                                          policy: MetricsLabelPolicy(maxLabelValues: 3, maxSeriesPerProtocol: 5))
        for service in 0..<20 {
            for status in 0..<3 { series.record(try Self.event("s\(service) c\(status)")) }
        }
        let text = Self.exposition(series, registry)
        let samples = text.matching("dpdkscope_test_calls_total")
        // Five series, then everything else in all-"other".
        #expect(samples.count == 6)
        #expect(text.sum("dpdkscope_test_calls_total", ["service": "other", "status": "other"]) > 0)
        #expect(samples.reduce(0) { $0 + $1.value } == 120)
    }
}

/// What every protocol declares can be registered side by side: one name
/// per family across protocols and apart from the families every protocol
/// shares, Prometheus-valid, counters named `_total`.
@Suite struct DeclaredFamiliesTests {
    @Test func familyNamesAreValidAndUnique() {
        var names = Set([MetricFamilies.requests, MetricFamilies.requestDuration, MetricFamilies.requestBytes,
                         MetricFamilies.responseBytes, MetricFamilies.unmatched, MetricFamilies.analyzer].map(\.name))
        for proto in ApplicationProtocol.allCases {
            for family in proto.definition.metrics?.families ?? [] {
                #expect(names.insert(family.name).inserted, "\(family.name) declared twice")
                #expect(family.name.hasPrefix("dpdkscope_"), "\(family.name)")
                #expect(family.name.allSatisfy { $0 == "_" || ("a"..."z").contains($0) }, "\(family.name)")
                #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
                #expect((family.kind == .duration) == family.name.hasSuffix("_seconds"), "\(family.name)")
                let labels = family.labels.map(\.name)
                #expect(Set(labels).count == labels.count && !labels.contains("server") && !labels.contains("protocol"))
            }
        }
        #expect(names.isSuperset(of: ["dpdkscope_tls_handshakes_total", "dpdkscope_grpc_calls_total"]))
    }
}
