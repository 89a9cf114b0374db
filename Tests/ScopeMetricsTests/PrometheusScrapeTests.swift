import Foundation
import ScopeMetrics
import ScopeTestSupport
import Testing

/// A real Prometheus scrapes the endpoint and answers PromQL about it.
/// Without /usr/bin/prometheus the suite is skipped, unless
/// DPDKSCOPE_REQUIRE_INTEGRATION=1 demands it (then it fails).
enum PrometheusPrerequisite {
    static var required: Bool { ProcessInfo.processInfo.environment["DPDKSCOPE_REQUIRE_INTEGRATION"] == "1" }
    static var enabled: Bool { PrometheusServer.isInstalled || required }
}

@Suite(.enabled(if: PrometheusPrerequisite.enabled, "prometheus is not installed (apt-get install prometheus)"))
struct PrometheusScrapeTests {
    @Test func prometheusSeesTheRequestCount() throws {
        guard PrometheusServer.isInstalled else {
            Issue.record("prometheus is not installed at \(PrometheusServer.binary) (apt-get install prometheus)")
            return
        }
        let events = try CaptureEvents.events("http.pcap")
        let metrics = AgentMetrics()
        events.forEach(metrics.record)
        let server = MetricsServer(port: 0, metrics: metrics)
        try server.start()
        defer { server.stop() }
        let port = try #require(server.boundPort)

        let prometheus = try PrometheusServer(scraping: "127.0.0.1:\(port)")
        defer { prometheus.stop() }
        let query = #"sum(dpdkscope_requests_total{protocol="http"})"#
        let seen = try prometheus.waitFor(query, toEqual: Double(events.count))
        #expect(seen == Double(events.count), "Prometheus log: \(prometheus.log.suffix(1500))")
        #expect(try prometheus.query(#"up{job="dpdkscope"}"#) == 1)
        #expect(try prometheus.query(#"sum(dpdkscope_request_duration_seconds_count{protocol="http"})"#)
                == Double(events.count))
    }
}
