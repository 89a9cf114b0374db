import Foundation
import SwiftProtobuf

/// A batch's request body from its records as the queue and spool keep them
/// (each a serialized `Span` or `LogRecord`), without decoding them again.
///
/// Why: building `ExportTraceServiceRequest` with SwiftProtobuf meant
/// decoding every record back into a message and serializing the whole tree,
/// whose size SwiftProtobuf computes again at every nesting level: about a
/// third of a log record's cost. The framed messages
/// (`Protos/dpdkscope/otlp/v1/framed.proto`) declare the records as `bytes`,
/// which protobuf encodes exactly as embedded messages, so each record's
/// bytes go in as they are and SwiftProtobuf writes every tag and length:
/// the body is byte for byte what the official message tree serializes to
/// (`OTLPRequestBodyTests`).
struct OTLPRequestBody {
    private enum Template {
        case traces(Dpdkscope_Otlp_V1_FramedResourceSpans, Dpdkscope_Otlp_V1_FramedScopeSpans)
        case logs(Dpdkscope_Otlp_V1_FramedResourceLogs, Dpdkscope_Otlp_V1_FramedScopeLogs)
    }

    /// The resource and scope levels, set once; a batch fills in its records.
    private let template: Template

    init(signal: OTLPHTTPTransport.Signal, resource: Opentelemetry_Proto_Resource_V1_Resource,
         scope: Opentelemetry_Proto_Common_V1_InstrumentationScope) {
        switch signal {
        case .traces:
            var resourceSpans = Dpdkscope_Otlp_V1_FramedResourceSpans()
            resourceSpans.resource = resource
            var scopeSpans = Dpdkscope_Otlp_V1_FramedScopeSpans()
            scopeSpans.scope = scope
            template = .traces(resourceSpans, scopeSpans)
        case .logs:
            var resourceLogs = Dpdkscope_Otlp_V1_FramedResourceLogs()
            resourceLogs.resource = resource
            var scopeLogs = Dpdkscope_Otlp_V1_FramedScopeLogs()
            scopeLogs.scope = scope
            template = .logs(resourceLogs, scopeLogs)
        }
    }

    /// The request's bytes: `ExportTraceServiceRequest` or
    /// `ExportLogsServiceRequest` on the wire.
    func serialized(_ records: [[UInt8]]) throws -> [UInt8] {
        switch template {
        case .traces(var resourceSpans, var scopeSpans):
            scopeSpans.spans = records.map { Data($0) }
            resourceSpans.scopeSpans = [scopeSpans]
            var request = Dpdkscope_Otlp_V1_FramedTraceRequest()
            request.resourceSpans = [resourceSpans]
            return try request.serializedBytes()
        case .logs(var resourceLogs, var scopeLogs):
            scopeLogs.logRecords = records.map { Data($0) }
            resourceLogs.scopeLogs = [scopeLogs]
            var request = Dpdkscope_Otlp_V1_FramedLogsRequest()
            request.resourceLogs = [resourceLogs]
            return try request.serializedBytes()
        }
    }
}
