import Foundation
import ScopeAnalyzers
import ScopeTestSupport
import Testing
@testable import ScopeExport

/// The OTLP output against a receiver that decodes with the official schema:
/// fixture events as spans and log records, then the receiver's refusals
/// (429 with Retry-After, 503, 400, partial success) and an outage.
@Suite(.enabled(if: OTLPReceiver.enabled, "opentelemetry-proto is not installed (pip install opentelemetry-proto)"),
       .serialized)
struct OTLPReceiverTests {
    static func lines(_ fixture: String) throws -> [[UInt8]] {
        try FixtureAnalysis.events(fixture).map { Array($0.json.utf8) }
    }

    /// A request waits up to `timeout` for a connection (AsyncHTTPClient
    /// keeps trying to connect until then), so outages in tests outlast it.
    static func output(_ receiver: OTLPReceiver, spool: String? = nil, batch: Int = 16,
                       logs: LogLines = LogLines()) throws -> OTLPOutput {
        try OTLPOutput(settings: .init(endpoint: receiver.endpoint, headers: ["X-Tenant": "t1"], batchSize: batch,
                                       interval: 0.05, timeout: 2, retry: .init(initial: 0.1, maximum: 1)),
                       spool: spool.map { .init(directory: $0, maxBytes: 1 << 24) },
                       resource: OTLPResource(hostName: "host-a", filePrefix: "bed", primaryPID: 42, ports: ["net_tap0"]),
                       log: logs.append)
    }

    @Test func transactionsBecomeSpansAndEveryEventALogRecord() throws {
        try #require(OTLPReceiver.isInstalled, "opentelemetry-proto missing: pip install opentelemetry-proto")
        let receiver = try OTLPReceiver()
        let http = try Self.lines("http.pcap"), redis = try Self.lines("redis.pcap").prefix(20), dns = try Self.lines("dns.pcap")
        let all = http + redis + dns
        let output = try Self.output(receiver)
        output.start()
        output.enqueue(lines: Array(all))
        output.close(timeout: 10)
        #expect(receiver.decodeErrors.isEmpty, "\(receiver.decodeErrors)")
        let spans = receiver.uniqueItems("/v1/traces"), logs = receiver.uniqueItems("/v1/logs")
        #expect(spans.count == all.count && logs.count == all.count)
        #expect(output.counts.map(\.counts.sent) == [UInt64(all.count), UInt64(all.count)])
        for request in receiver.requests {
            #expect(request["encoding"] as? String == "gzip")
            #expect((request["headers"] as? [String: String])?["x-tenant"] == "t1")
            let body = request["request"] as? [String: Any]
            let resource = ((body?["resourceSpans"] ?? body?["resourceLogs"]) as? [[String: Any]])?.first?["resource"]
            let resourceAttributes = attributes(resource as? [String: Any] ?? [:])
            #expect(resourceAttributes["host.name"] == "host-a" && resourceAttributes["dpdk.primary.pid"] == "42")
            #expect(resourceAttributes["dpdk.primary.file_prefix"] == "bed" && resourceAttributes["service.name"] == "dpdkscope")
        }
        // Spans in order, with the semantic-convention attributes.
        let events = try FixtureAnalysis.events("http.pcap")
        for (span, event) in zip(spans, events) {
            let fields = attributes(span)
            #expect(fields["http.request.method"] == event.httpDetail?.request?.method)
            #expect(fields["url.path"] == event.httpDetail.flatMap { $0.request?.target.split(separator: "?").first.map(String.init) })
            #expect(fields["http.response.status_code"] == event.httpDetail?.response.map { String($0.statusCode) })
            #expect(fields["server.port"] == String(event.endpoints.serverPort) && fields["network.transport"] == "tcp")
            #expect(fields["client.address"] != nil && fields["server.address"] != nil)
            #expect(span["kind"] as? String == "SPAN_KIND_SERVER")
            let start = UInt64(span["startTimeUnixNano"] as? String ?? "") ?? 0
            let end = UInt64(span["endTimeUnixNano"] as? String ?? "") ?? 0
            #expect(start == event.start && end >= start)
            #expect((span["traceId"] as? String)?.count == 32 && (span["spanId"] as? String)?.count == 16)
            let failed = (event.httpDetail?.response?.statusCode ?? 500) >= 500
            #expect(((span["status"] as? [String: Any])?["code"] as? String == "STATUS_CODE_ERROR") == failed)
        }
        let redisSpan = spans[http.count]
        #expect(attributes(redisSpan)["db.system.name"] == "redis" && attributes(redisSpan)["db.operation.name"] != nil)
        #expect(redisSpan["kind"] as? String == "SPAN_KIND_CLIENT")
        #expect(attributes(spans[http.count + redis.count])["dns.question.name"] != nil)
        // Log records: the ECS fields, the span's ids for correlation.
        let log = logs[0]
        #expect(attributes(log)["http.request.method"] == "GET" && attributes(log)["network.community_id"] != nil)
        #expect(log["eventName"] as? String == "dpdkscope.http" && log["traceId"] as? String == spans[0]["traceId"] as? String)
        // Same events, same ids: reading a capture twice gives the same traces.
        #expect(OTLPEncoder.span(json: http[0]) == OTLPEncoder.span(json: http[0]))
    }

    @Test func refusalsAreRetriedOrCountedAsTheSpecificationSays() throws {
        try #require(OTLPReceiver.isInstalled, "opentelemetry-proto missing")
        // Request 1: 429 with Retry-After 1; 2: 503; 3: accepted; 4: 400 (dropped); 5: partial success rejecting 2.
        let receiver = try OTLPReceiver(script: "429/1,503,200,400,partial/2")
        let logLines = LogLines()
        let output = try OTLPOutput(
            settings: .init(endpoint: receiver.endpoint, traces: true, logs: false, batchSize: 10, interval: 0.05,
                            timeout: 5, retry: .init(initial: 0.1, maximum: 2)),
            spool: nil, resource: OTLPResource(), log: logLines.append)
        output.start()
        let lines = try Self.lines("http.pcap")
        let started = Date()
        output.enqueue(lines: Array(lines.prefix(10)))
        _ = receiver.waitFor("/v1/traces", count: 10, timeout: 10)
        #expect(Date().timeIntervalSince(started) >= 1.0, "Retry-After: 1 was not honoured")
        output.enqueue(lines: Array(lines.prefix(20).suffix(10)))
        usleep(500_000)
        output.enqueue(lines: Array(lines.prefix(30).suffix(10)))
        output.close(timeout: 5)
        let statuses = receiver.requests.map { $0["status"] as? Int ?? 0 }
        #expect(statuses == [429, 503, 200, 400, 200], "\(statuses)")
        let counts = output.counts[0].counts
        #expect(counts.retried == 2 && counts.dropped == 12 && counts.sent == 18, "\(counts)")
        #expect(logLines.all.contains { $0.contains("HTTP 429") })
        #expect(logLines.all.contains { $0.contains("HTTP 400") && $0.contains("not retried") })
        #expect(logLines.all.contains { $0.contains("rejected 2 of 10 records: test rejects 2") })
        #expect(receiver.decodeErrors.isEmpty)
    }

    @Test func receiverDownThenUpLosesNothingAndKeepsOrder() throws {
        try #require(OTLPReceiver.isInstalled, "opentelemetry-proto missing")
        let receiver = try OTLPReceiver()
        let spool = NSTemporaryDirectory() + "otlp-spool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let logLines = LogLines()
        let output = try Self.output(receiver, spool: spool, batch: 8, logs: logLines)
        output.start()
        let lines = try Self.lines("redis.pcap").prefix(120).map { $0 }
        output.enqueue(lines: Array(lines[0..<40]))
        _ = receiver.waitFor("/v1/traces", count: 40)
        receiver.stop()
        output.enqueue(lines: Array(lines[40..<80]))
        usleep(4_000_000)
        #expect(output.counts.allSatisfy { $0.counts.spooled > 0 && $0.counts.retried > 0 })
        try receiver.start()
        output.enqueue(lines: Array(lines[80..<120]))
        _ = receiver.waitFor("/v1/traces", count: 120)
        _ = receiver.waitFor("/v1/logs", count: 120)
        output.close(timeout: 5)
        let spans = receiver.uniqueItems("/v1/traces")
        let repeats = OTLPEncoder.RepeatCounter()
        let expected = lines.compactMap { OTLPEncoder.span(json: $0, occurrence: repeats.occurrence(of: $0)) }
            .compactMap { try? Opentelemetry_Proto_Trace_V1_Span(serializedBytes: $0) }
            .map { $0.spanID.map { String(format: "%02x", $0) }.joined() }
        #expect(spans.map { $0["spanId"] as? String ?? "" } == expected)
        #expect(Set(expected).count == expected.count, "identical events still get distinct span ids")
        #expect(receiver.uniqueItems("/v1/logs").count == 120)
        // Only whole batches are ever repeated (a lost answer), and rarely.
        #expect(receiver.items("/v1/logs").count - 120 <= 16 && receiver.items("/v1/traces").count - 120 <= 16)
        #expect(output.counts.allSatisfy { $0.counts.dropped == 0 && $0.counts.sent == 120 })
        #expect(logLines.all.filter { $0.contains("keeping events and retrying") }.count == 2, "\(logLines.all)")
        #expect(logLines.all.contains { $0.contains("answering again") })
        #expect(receiver.decodeErrors.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/otlp_traces").isEmpty)
    }

    @Test func httpsWithAPrivateCATrustFileAndOneLineForATLSFailure() throws {
        try #require(OTLPReceiver.isInstalled, "opentelemetry-proto missing")
        let directory = NSTemporaryDirectory() + "otlp-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let openssl = try Subprocess(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                                      "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1",
                                      "-addext", "subjectAltName=IP:127.0.0.1"])
        #expect(openssl.wait(timeout: 60) == 0, "\(openssl.stderr)")
        let receiver = try OTLPReceiver(tls: (certificate, key))
        let lines = try Self.lines("http.pcap")

        // Trusting the private CA: delivered.
        let trusted = try OTLPOutput(
            settings: .init(endpoint: receiver.endpoint, logs: false, batchSize: 50, interval: 0.05, timeout: 5,
                            trustFile: certificate),
            spool: nil, resource: OTLPResource(), log: { _ in })
        trusted.start()
        trusted.enqueue(lines: lines)
        trusted.close(timeout: 5)
        #expect(receiver.uniqueItems("/v1/traces").count == lines.count)

        // The system's trust store does not know it: one log line, retried, nothing delivered.
        let logLines = LogLines()
        let untrusted = try OTLPOutput(
            settings: .init(endpoint: receiver.endpoint, logs: false, batchSize: 50, interval: 0.05, timeout: 2,
                            retry: .init(initial: 0.1, maximum: 0.2)),
            spool: nil, resource: OTLPResource(), log: logLines.append)
        untrusted.start()
        untrusted.enqueue(lines: lines)
        usleep(1_500_000)
        untrusted.close(timeout: 0.5)
        #expect(untrusted.counts[0].counts.sent == 0 && untrusted.counts[0].counts.retried >= 1)
        #expect(untrusted.counts[0].counts.dropped == UInt64(lines.count))
        #expect(logLines.all.filter { $0.contains("keeping events and retrying") }.count == 1, "\(logLines.all)")
        #expect(receiver.uniqueItems("/v1/traces").count == lines.count)

        // A trust file that is not PEM is an error at start, not at every request.
        #expect(throws: ExportError.self) {
            try OTLPOutput(settings: .init(endpoint: receiver.endpoint, trustFile: key + ".missing"), spool: nil,
                           resource: OTLPResource(), log: { _ in })
        }
    }
}

extension TransactionEvent {
    var httpDetail: HTTPTransaction? { details as? HTTPTransaction }
}
