import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Two agents, each on its own DPDK primary, into the same receivers: a
    /// real Prometheus taking remote-write and the official-schema OTLP
    /// receiver. Per-host labels (and the OTLP resource) keep them apart.
    @Suite struct AgentFleet {
        @Test func twoHostsIntoOnePrometheusAndOneCollectorStayApart() throws {
            try Harness.checkPrerequisites()
            try #require(OTLPReceiver.isInstalled, "opentelemetry-proto missing: run Scripts/setup.sh")
            try #require(PrometheusServer.isInstalled, "prometheus missing: run Scripts/setup.sh")
            let prometheus = try PrometheusServer(scraping: "127.0.0.1:1", remoteWriteReceiver: true)
            defer { prometheus.stop() }
            let receiver = try OTLPReceiver()
            var beds: [AgentBed] = []
            defer { beds.forEach { $0.stop() } }
            var agents: [Subprocess] = []
            defer { agents.forEach { $0.signal(SIGKILL) } }
            for (index, host) in ["host-a", "host-b"].enumerated() {
                let bed = try AgentBed(prefix: Harness.prefix("it-fleet-\(index)"))
                beds.append(bed)
                let config = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis, outputs: """
                      file: { path: \(bed.dir.file("events.ndjson")) }
                      metrics: { address: 127.0.0.1, port: \(AgentBed.freePort()) }
                      otlp: { enabled: true, endpoint: "\(receiver.endpoint)", logs: false, interval: 200ms }
                      remote_write: { enabled: true, url: "http://127.0.0.1:\(prometheus.port)/api/v1/write", interval: 1s,
                                      external_labels: { host: \(host) } }
                      spool: { path: \(bed.dir.file("spool")) }
                    """))
                agents.append(try bed.startAgent(config: config))
            }
            try beds[0].curl(3)
            try beds[1].curl(5)
            let a = try prometheus.waitFor(#"sum(dpdkscope_requests_total{protocol="http",host="host-a"})"#, toEqual: 3)
            let b = try prometheus.waitFor(#"sum(dpdkscope_requests_total{protocol="http",host="host-b"})"#, toEqual: 5)
            #expect(a == 3 && b == 5, "\(prometheus.log.suffix(1500))")
            _ = receiver.waitFor("/v1/traces", count: 8)
            for agent in agents {
                agent.signal(SIGTERM)
                #expect(agent.wait(timeout: 20) == 0, "\(agent.stderr)")
            }
            // Spans by the primary their resource names, each once (a
            // request whose answer came late may be sent again).
            var byPrefix: [String: Int] = [:], seen = Set<String>()
            for request in receiver.requests where request["status"] as? Int == 200 {
                let body = request["request"] as? [String: Any]
                for resourceSpans in body?["resourceSpans"] as? [[String: Any]] ?? [] {
                    let prefix = attributes(resourceSpans["resource"] as? [String: Any] ?? [:])["dpdk.primary.file_prefix"] ?? "?"
                    let spans = (resourceSpans["scopeSpans"] as? [[String: Any]] ?? []).flatMap { $0["spans"] as? [[String: Any]] ?? [] }
                    for span in spans where seen.insert("\(span["traceId"] ?? "")/\(span["spanId"] ?? "")").inserted {
                        byPrefix[prefix, default: 0] += 1
                    }
                }
            }
            #expect(byPrefix == [beds[0].prefix: 3, beds[1].prefix: 5], "\(byPrefix)")
            #expect(receiver.decodeErrors.isEmpty)
        }
    }
}
