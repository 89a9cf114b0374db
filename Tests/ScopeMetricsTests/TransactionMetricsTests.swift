import ScopeAnalyzers
import ScopeDecode
import ScopeTestSupport
@testable import ScopeMetrics
import Testing

@Suite struct TransactionMetricsTests {
    static func exposition(_ metrics: AgentMetrics) -> Exposition {
        let exposition = Exposition(metrics.exposition())
        #expect(exposition.problems == [])
        return exposition
    }

    /// Per (method, outcome) counts and the histogram agree with the events.
    @Test(arguments: [("http.pcap", "http"), ("redis.pcap", "redis")])
    func countsMatchEvents(capture: String, proto: String) throws {
        let events = try CaptureEvents.events(capture)
        #expect(events.count > 3)
        let metrics = AgentMetrics()
        events.forEach(metrics.record)
        let text = Self.exposition(metrics)

        var expected: [String: Double] = [:]
        for event in events { expected["\(event.method) \(event.outcome)", default: 0] += 1 }
        var seen: [String: Double] = [:]
        for sample in text.matching("dpdkscope_requests_total", ["protocol": proto]) {
            seen["\(sample.labels["method"] ?? "-") \(sample.labels["outcome"] ?? "-")", default: 0] += sample.value
            #expect(Set(sample.labels.keys) == ["protocol", "method", "outcome"])
        }
        #expect(seen == expected)

        let count = Double(events.count)
        #expect(text.sum("dpdkscope_request_duration_seconds_count", ["protocol": proto]) == count)
        #expect(text.sum("dpdkscope_request_duration_seconds_bucket", ["protocol": proto, "le": "+Inf"]) == count)
        let seconds = events.reduce(0.0) { $0 + Double($1.duration) / 1e9 }
        #expect(abs(text.sum("dpdkscope_request_duration_seconds_sum", ["protocol": proto]) - seconds) < 1e-6)
        #expect(text.sum("dpdkscope_request_bytes_total", ["protocol": proto])
                == Double(events.reduce(0) { $0 + $1.requestBytes }))
        #expect(text.sum("dpdkscope_response_bytes_total", ["protocol": proto])
                == Double(events.reduce(0) { $0 + $1.responseBytes }))
        #expect(text.sum("dpdkscope_unmatched_total", ["protocol": proto, "side": "request"])
                == Double(events.filter { $0.outcome == "unanswered" }.count))
    }

    /// Buckets are cumulative and cover 50µs to 10s.
    @Test func histogramBuckets() throws {
        let metrics = AgentMetrics()
        try CaptureEvents.events("http.pcap").forEach(metrics.record)
        let buckets = Self.exposition(metrics).matching("dpdkscope_request_duration_seconds_bucket", ["protocol": "http"])
        let bounds = buckets.compactMap { Double($0.labels["le"] ?? "") }.sorted()
        #expect(bounds.first == 0.00005)
        #expect(bounds.last == .infinity)
        #expect(bounds.contains(10))
        let ordered = buckets.sorted { Double($0.labels["le"]!)! < Double($1.labels["le"]!)! }.map(\.value)
        #expect(ordered == ordered.sorted())
    }

    /// Garbage methods come out printable, short, and past the cap as "other".
    @Test func hostileMethodsFoldIntoOther() throws {
        let base = try #require(CaptureEvents.events("http.pcap").first { $0.outcome == "2xx" })
        let metrics = AgentMetrics(policy: MetricsLabelPolicy(maxLabelValues: 10))
        let hostile = (0..<150).map { "X\($0)\u{0}\n\"\\" + String(repeating: "é", count: $0) }
        for method in hostile + hostile {
            metrics.record(Self.http(base, method: method))
        }
        let text = Self.exposition(metrics)
        let samples = text.matching("dpdkscope_requests_total", ["protocol": "http"])
        let methods = Set(samples.compactMap { $0.labels["method"] })
        #expect(methods.count == 11)
        #expect(methods.contains("other"))
        for method in methods {
            #expect(method.utf8.count <= 32)
            #expect(method.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value <= 0x7E })
        }
        #expect(text.sum("dpdkscope_requests_total", ["protocol": "http"]) == 300)
        #expect(text.sum("dpdkscope_requests_total", ["method": "other"]) == 280)
        #expect(text.sum("dpdkscope_requests_total", ["method": "X0__\"\\"]) == 2)
    }

    /// The series cap bounds the product of the labels' caps.
    @Test func seriesCapFoldsEverything() throws {
        let base = try #require(CaptureEvents.events("http.pcap").first)
        let metrics = AgentMetrics(policy: MetricsLabelPolicy(maxSeriesPerProtocol: 3))
        for index in 0..<20 { metrics.record(Self.http(base, method: "M\(index)")) }
        let samples = Self.exposition(metrics).matching("dpdkscope_requests_total")
        #expect(samples.count == 4)
        #expect(samples.reduce(0) { $0 + $1.value } == 20)
        #expect(samples.contains { $0.labels["method"] == "other" && $0.labels["outcome"] == "other" && $0.value == 17 })
    }

    @Test func serverAndVLANLabelsOnRequest() throws {
        let events = try CaptureEvents.events("redis.pcap")
        let metrics = AgentMetrics(policy: MetricsLabelPolicy(serverLabel: true, vlanLabel: true))
        events.forEach(metrics.record)
        let text = Self.exposition(metrics)
        var expected: [String: Double] = [:]
        for event in events {
            expected["\(event.endpoints.server):\(event.endpoints.serverPort)", default: 0] += 1
        }
        var seen: [String: Double] = [:]
        for sample in text.matching("dpdkscope_requests_total") {
            #expect(sample.labels["vlan"] == "0")
            seen[sample.labels["server"] ?? "-", default: 0] += sample.value
        }
        #expect(seen == expected)
        let histogramServers = Set(text.matching("dpdkscope_request_duration_seconds_count").compactMap { $0.labels["server"] })
        #expect(histogramServers == Set(expected.keys))
    }

    @Test func serverLabels() {
        #expect(ServerKey(address: IPAddress(ipv6High: 0, low: 1), port: 6379).label == "[::1]:6379")
        #expect(ServerKey(address: IPAddress("10.0.0.2")!, port: 80).label == "10.0.0.2:80")
        let ping = TransactionEndpoints(client: IPAddress("10.0.0.1")!, clientPort: 8, server: IPAddress("10.0.0.2")!,
                                        serverPort: 0, transport: .icmp)
        #expect(ServerKey(ping).label == "10.0.0.2")
    }

    /// Unanswered requests count on the request side, responses without a
    /// request on the response side; a matched pair on neither.
    @Test func unmatchedSides() throws {
        let base = try #require(CaptureEvents.events("http.pcap").first { $0.isMatched })
        guard let pair = base.details as? HTTPTransaction else { Issue.record("not HTTP"); return }
        var orphan = base
        orphan.details = HTTPTransaction(request: nil, response: pair.response)
        var unanswered = base
        unanswered.details = HTTPTransaction(request: pair.request, response: nil)
        let metrics = AgentMetrics()
        for event in [base, orphan, orphan, unanswered, unanswered, unanswered] { metrics.record(event) }
        let text = Self.exposition(metrics)
        #expect(text.sum("dpdkscope_unmatched_total", ["protocol": "http", "side": "response"]) == 2)
        #expect(text.sum("dpdkscope_unmatched_total", ["protocol": "http", "side": "request"]) == 3)
        #expect(text.sum("dpdkscope_requests_total", ["method": "?"]) == 2)
        #expect(text.sum("dpdkscope_requests_total", ["outcome": "unanswered"]) == 3)
    }

    @Test func sanitizedKeepsCleanValuesAsTheyAre() {
        #expect(LabelValue.sanitized("GET") == "GET")
        #expect(LabelValue.sanitized("") == "?")
        #expect(LabelValue.sanitized("a\u{1}b") == "a_b")
        #expect(LabelValue.sanitized(String(repeating: "A", count: 40)) == String(repeating: "A", count: 32))
    }

    @Test func keyedSlotsFoldPastTheCap() {
        var slots = KeyedLabelSlots<Int>(cap: 2)
        let assigned = [7, 8, 9, 7, 10].map { slots.slot(for: $0) { "v\($0)" } }
        #expect(assigned == [1, 2, 0, 1, 0])
        #expect([0, 1, 2].map(slots.value) == ["other", "v7", "v8"])
    }

    static func http(_ event: TransactionEvent, method: String) -> TransactionEvent {
        var event = event
        if var http = event.details as? HTTPTransaction {
            http.request?.method = method
            event.details = http
        }
        return event
    }
}

/// Every registered protocol shows up in `/metrics` under its own name
/// (a carried one, gRPC, under its carrier's: its events are http2's).
@Suite struct RegistryMetricsTests {
    @Test(arguments: ApplicationProtocol.allCases.filter { $0.carrier == nil })
    func everyProtocolIsALabel(_ proto: ApplicationProtocol) throws {
        let event = try #require(RegistrySamples.event(for: proto))
        let metrics = AgentMetrics()
        metrics.record(event)
        let text = TransactionMetricsTests.exposition(metrics)
        #expect(text.sum("dpdkscope_requests_total", ["protocol": proto.rawValue]) == 1)
        #expect(text.sum("dpdkscope_request_duration_seconds_count", ["protocol": proto.rawValue]) == 1)
    }
}
