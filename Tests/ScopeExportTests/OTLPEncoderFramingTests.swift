import Foundation
import ScopeAnalyzers
import ScopeTestSupport
import SwiftProtobuf
import Testing
@testable import ScopeExport

/// Spans and log records are written as our framed messages, their
/// attributes serialized `KeyValue`s from `AttributeCache`. Against the
/// official schema: each decodes as the official Span or LogRecord, whose
/// own serialization is the same bytes, with the attributes the official
/// KeyValue messages would carry; and a cache that hits, or is emptied
/// while in use, changes no byte.
@Suite struct OTLPEncoderFramingTests {
    typealias OfficialSpan = Opentelemetry_Proto_Trace_V1_Span
    typealias OfficialLogRecord = Opentelemetry_Proto_Logs_V1_LogRecord

    static func encode(_ line: [UInt8], _ signal: OTLPHTTPTransport.Signal, _ cache: OTLPEncoder.AttributeCache) -> [UInt8]? {
        signal == .traces ? OTLPEncoder.span(json: line, attributes: cache)
            : OTLPEncoder.logRecord(json: line, observedAt: 7, attributes: cache)
    }

    @Test(arguments: [OTLPHTTPTransport.Signal.traces, .logs])
    func everyFixtureEventIsTheOfficialMessagesBytes(signal: OTLPHTTPTransport.Signal) throws {
        let shared = OTLPEncoder.AttributeCache(), tiny = OTLPEncoder.AttributeCache(capacity: 3)
        var records = 0, attributes = 0
        for fixture in OTLPRequestBodyTests.fixtures {
            for event in try FixtureAnalysis.events(fixture) {
                let line = Array(event.json.utf8)
                let fresh = Self.encode(line, signal, OTLPEncoder.AttributeCache())
                #expect(Self.encode(line, signal, shared) == fresh, "\(fixture)")
                #expect(Self.encode(line, signal, tiny) == fresh, "\(fixture)")
                #expect(tiny.count <= 3)
                guard let fresh else { continue }
                let fields = try #require(EventFields(json: line))
                let type = fields.string("type") ?? "event"
                if signal == .traces {
                    let span = try OfficialSpan(serializedBytes: fresh)
                    #expect(try span.serializedBytes() == fresh, "\(fixture)")
                    var expected = OTLPEncoder.spanAttributes(fields, type: type).map { OTLPEncoder.keyValue($0.key, $0.value) }
                    let failure = OTLPEncoder.failure(fields, type: type)
                    if let failure { expected.append(OTLPEncoder.keyValue("error.type", .string(failure))) }
                    #expect(span.attributes == expected, "\(fixture)")
                    #expect(span.status.code == (failure == nil ? .unset : .error) && span.status.message == (failure ?? ""))
                    #expect(span.traceID.count == 16 && span.spanID.count == 8 && !span.name.isEmpty && span.startTimeUnixNano > 0)
                    attributes += span.attributes.count
                } else {
                    let record = try OfficialLogRecord(serializedBytes: fresh)
                    #expect(try record.serializedBytes() == fresh, "\(fixture)")
                    let expected = fields.fields.filter { $0.key != "@timestamp" }.map { OTLPEncoder.keyValue($0.key, $0.value) }
                    #expect(record.attributes == expected, "\(fixture)")
                    #expect(record.eventName == "dpdkscope.\(type)" && record.observedTimeUnixNano == 7 && record.timeUnixNano > 0)
                    #expect(record.body.stringValue.hasPrefix(type) && [.info, .warn].contains(record.severityNumber))
                    attributes += record.attributes.count
                }
                records += 1
            }
        }
        #expect(records > (signal == .traces ? 100 : 200) && attributes > records * 5, "\(records) \(attributes)")
        #expect(shared.count > 0 && shared.count < attributes)
    }
}
