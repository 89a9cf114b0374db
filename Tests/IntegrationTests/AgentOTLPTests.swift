import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The agent's OTLP output on live traffic through the tap testbed: curl
    /// sends W3C traceparent headers, a receiver built on PyPI's official
    /// opentelemetry-proto decodes every request, goes down for a while and
    /// comes back; every span and log record arrives, in order.
    @Suite struct AgentOTLP {
        static func traceparent(_ index: Int) -> (trace: String, span: String, header: String) {
            let trace = String(format: "%032x", 0xA000 + index), span = String(format: "%016x", 0xB000 + index)
            return (trace, span, "00-\(trace)-\(span)-01")
        }

        func curl(_ bed: AgentBed, _ indexes: ClosedRange<Int>) throws {
            let load = indexes.map { index in
                "curl -s -o /dev/null -H 'traceparent: \(Self.traceparent(index).header)' http://\(bed.addressB):8080/testbed.sh"
            }.joined(separator: "; ")
            let result = try Harness.run(["ip", "netns", "exec", bed.a, "sh", "-c", load], timeout: 120)
            #expect(result.status == 0, "\(result.stderr)")
        }

        @Test func spansAndLogRecordsArriveThroughAnOutageWithTheirTraceparent() throws {
            try Harness.checkPrerequisites()
            try #require(OTLPReceiver.isInstalled, "opentelemetry-proto missing: run Scripts/setup.sh (pip install opentelemetry-proto)")
            let bed = try AgentBed(prefix: Harness.prefix("it-agent-otlp"))
            defer { bed.stop() }
            let receiver = try OTLPReceiver()
            let events = bed.dir.file("events.ndjson"), spool = bed.dir.file("spool")
            let metricsPort = AgentBed.freePort()
            let config = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis, outputs: """
                  file: { path: \(events) }
                  metrics: { address: 127.0.0.1, port: \(metricsPort) }
                  otlp: { enabled: true, endpoint: "\(receiver.endpoint)", batch_size: 4, interval: 200ms, timeout: 1s,
                          headers: { X-Tenant: bed } }
                  spool: { path: \(spool), max_bytes: 16MiB }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try curl(bed, 1...5)
            try bed.redis(5)
            // At least: a request the 1 s timeout cut may come again (the end compares unique items).
            #expect(receiver.waitFor("/v1/traces", count: 10).count >= 10)

            // The receiver goes away for longer than a request waits for it.
            receiver.stop()
            try curl(bed, 6...10)
            usleep(4_000_000)
            let during = try Harness.run(["curl", "-s", "http://127.0.0.1:\(metricsPort)/metrics"]).stdout
            #expect(during.contains(#"dpdkscope_output_spooled_total{output="otlp_traces"}"#), "\(during.suffix(800))")
            #expect(!during.contains(#"dpdkscope_output_retried_total{output="otlp_traces"} 0"#))
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/otlp_traces").count > 0)
            try receiver.start()
            _ = receiver.waitFor("/v1/traces", count: 15, timeout: 30)
            _ = receiver.waitFor("/v1/logs", count: 15, timeout: 30)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 20) == 0, "\(agent.stderr)")
            let spans = receiver.uniqueItems("/v1/traces"), logs = receiver.uniqueItems("/v1/logs")

            #expect(receiver.decodeErrors.isEmpty, "\(receiver.decodeErrors)")
            let lines = try bed.events(events)
            #expect(lines.count >= 15 && spans.count == lines.count && logs.count == lines.count,
                    "\(lines.count) \(spans.count) \(logs.count)")
            // Same events, same order, as the file output.
            #expect(spans.map { attributes($0)["network.protocol.name"] ?? "" } == lines.map { $0["type"] as? String ?? "" })
            #expect(logs.map { $0["eventName"] as? String ?? "" } == lines.map { "dpdkscope." + ($0["type"] as? String ?? "") })
            let httpSpans = spans.filter { attributes($0)["network.protocol.name"] == "http" }
            #expect(httpSpans.map { $0["traceId"] as? String ?? "" } == (1...10).map { Self.traceparent($0).trace })
            #expect(httpSpans.map { $0["parentSpanId"] as? String ?? "" } == (1...10).map { Self.traceparent($0).span })
            for span in httpSpans {
                let fields = attributes(span)
                #expect(fields["http.request.method"] == "GET" && fields["url.path"] == "/testbed.sh")
                #expect(fields["http.response.status_code"] == "200" && fields["server.port"] == "8080")
                #expect(fields["server.address"] == bed.addressB && fields["network.transport"] == "tcp")
            }
            let redisSpan = try #require(spans.first { attributes($0)["db.system.name"] == "redis" })
            #expect(attributes(redisSpan)["db.operation.name"] == "SET")
            for request in receiver.requests {
                #expect((request["headers"] as? [String: String])?["x-tenant"] == "bed")
                let body = request["request"] as? [String: Any]
                let resource = ((body?["resourceSpans"] ?? body?["resourceLogs"]) as? [[String: Any]])?.first?["resource"]
                let fields = attributes(resource as? [String: Any] ?? [:])
                #expect(fields["dpdk.primary.file_prefix"] == bed.prefix && fields["host.name"] != nil)
            }
            #expect(agent.stderr.contains("output otlp_traces: sent \(lines.count),"), "\(agent.stderr)")
            #expect(agent.stderr.contains("dropped 0"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/otlp_traces").isEmpty)
        }
    }
}
