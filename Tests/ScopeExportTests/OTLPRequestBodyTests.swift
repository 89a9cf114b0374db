import Foundation
import ScopeAnalyzers
import ScopeTestSupport
import SwiftProtobuf
import Testing
@testable import ScopeExport

/// The request body framed from serialized records (`OTLPRequestBody`, our
/// framed messages with `bytes` records) against the official message tree:
/// every record decoded back and the whole request serialized by
/// SwiftProtobuf. Same bytes, for every fixture event, both signals.
@Suite struct OTLPRequestBodyTests {
    static let fixtures = ["http.pcap", "dns.pcap", "redis.pcap", "mysql.pcap", "pgsql.pcap", "memcache.pcap", "icmp.pcap",
                           "tls.pcap", "http2.pcap", "grpc.pcap", "dns-types.pcap", "http-edge.pcap"]
    static let resource = OTLPResource(hostName: "host-a", filePrefix: "bed", primaryPID: 42, ports: ["net_tap0", "net_tap1"])

    /// The official messages: every record decoded back into a Span or LogRecord.
    static func messageTree(_ batch: [[UInt8]], signal: OTLPHTTPTransport.Signal) throws -> [UInt8] {
        switch signal {
        case .traces:
            var spans = Opentelemetry_Proto_Trace_V1_ScopeSpans()
            spans.scope = OTLPResource.scope
            spans.spans = try batch.map { try Opentelemetry_Proto_Trace_V1_Span(serializedBytes: $0) }
            var resourceSpans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            resourceSpans.resource = resource.message
            resourceSpans.scopeSpans = [spans]
            var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
            request.resourceSpans = [resourceSpans]
            return try request.serializedBytes()
        case .logs:
            var logs = Opentelemetry_Proto_Logs_V1_ScopeLogs()
            logs.scope = OTLPResource.scope
            logs.logRecords = try batch.map { try Opentelemetry_Proto_Logs_V1_LogRecord(serializedBytes: $0) }
            var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
            resourceLogs.resource = resource.message
            resourceLogs.scopeLogs = [logs]
            var request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest()
            request.resourceLogs = [resourceLogs]
            return try request.serializedBytes()
        }
    }

    @Test(arguments: [OTLPHTTPTransport.Signal.traces, .logs])
    func everyFixtureBatchFramesToTheMessageTreesBytes(signal: OTLPHTTPTransport.Signal) throws {
        let transport = try OTLPHTTPTransport(signal: signal, endpoint: "http://127.0.0.1:9", headers: [], timeout: 1,
                                              resource: Self.resource)
        var records = 0
        for fixture in Self.fixtures {
            let repeats = OTLPEncoder.RepeatCounter()
            let batch = try FixtureAnalysis.events(fixture).compactMap { event -> [UInt8]? in
                let line = Array(event.json.utf8)
                return signal == .traces
                    ? OTLPEncoder.span(json: line, occurrence: repeats.occurrence(of: line))
                    : OTLPEncoder.logRecord(json: line, occurrence: repeats.occurrence(of: line), observedAt: 7)
            }
            // One batch of the whole fixture, then batches of 1 and 3.
            for size in [max(batch.count, 1), 1, 3] {
                for start in stride(from: 0, to: batch.count, by: size) {
                    let part = Array(batch[start..<min(start + size, batch.count)])
                    #expect(try transport.requestBody(part) == (try Self.messageTree(part, signal: signal)), "\(fixture)")
                }
            }
            records += batch.count
        }
        #expect(records > (signal == .traces ? 100 : 200))
        #expect(try transport.requestBody([]) == (try Self.messageTree([], signal: signal)))
    }

    /// Lengths that need two and three varint bytes.
    @Test func longRecordsGetMultiByteLengths() throws {
        let transport = try OTLPHTTPTransport(signal: .logs, endpoint: "http://127.0.0.1:9", headers: [], timeout: 1,
                                              resource: Self.resource)
        var record = Opentelemetry_Proto_Logs_V1_LogRecord()
        var body = Opentelemetry_Proto_Common_V1_AnyValue()
        for length in [127, 128, 300, 20_000] {
            body.stringValue = String(repeating: "x", count: length)
            record.body = body
            let batch: [[UInt8]] = [try record.serializedBytes(), try record.serializedBytes()]
            #expect(try transport.requestBody(batch) == (try Self.messageTree(batch, signal: .logs)), "\(length)")
        }
    }

    /// Binary search over the sorted fields finds what the dictionary found,
    /// a repeated key's last value included.
    @Test func eventFieldsLookUpEveryKeyAndTheLastOfARepeatedOne() throws {
        let fields = try #require(EventFields(json: Array(#"{"b":1,"a":{"x":"y","z":[1,2]},"c":true,"b":2,"d":null}"#.utf8)))
        #expect(fields["a.x"] == .string("y") && fields["a.z"] == .array([.int(1), .int(2)]) && fields["c"] == .bool(true))
        #expect(fields["b"] == .int(2) && fields["d"] == nil && fields["a"] == nil && fields["0"] == nil && fields["e"] == nil)
        for fixture in ["http.pcap", "dns.pcap"] {
            for event in try FixtureAnalysis.events(fixture) {
                let fields = try #require(EventFields(json: Array(event.json.utf8)))
                for (key, value) in fields.fields { #expect(fields[key] == value, "\(key)") }
            }
        }
    }
}
