import SwiftProtobuf

/// A batch's request body from its records as the queue and spool keep them
/// (each a serialized `Span` or `LogRecord`), without decoding them again.
///
/// Why: building `ExportTraceServiceRequest` with SwiftProtobuf meant
/// decoding every record back into a message and serializing the whole tree,
/// whose size SwiftProtobuf computes again at every nesting level: about a
/// third of a log record's cost. The resource and scope are still
/// SwiftProtobuf messages, serialized once per transport; only the
/// length-delimited framing that joins them (protobuf's encoding of a
/// message field: tag, varint length, bytes) is written here, in the field
/// order SwiftProtobuf writes, so the body is byte for byte what the message
/// tree serializes to (`OTLPRequestBodyTests`).
struct OTLPRequestBody {
    /// `ResourceSpans`/`ResourceLogs` holding only the resource (field 1).
    private let resourceHeader: [UInt8]
    /// `ScopeSpans`/`ScopeLogs` holding only the scope (field 1).
    private let scopeHeader: [UInt8]

    /// Field numbers shared by both signals' messages: the request's
    /// `resource_spans`/`resource_logs`, `ResourceSpans.scope_spans`/
    /// `ResourceLogs.scope_logs`, `ScopeSpans.spans`/`ScopeLogs.log_records`.
    private static let requestResources = 1, resourceScopes = 2, scopeRecords = 2

    init(signal: OTLPHTTPTransport.Signal, resource: Opentelemetry_Proto_Resource_V1_Resource,
         scope: Opentelemetry_Proto_Common_V1_InstrumentationScope) throws {
        switch signal {
        case .traces:
            resourceHeader = try Self.serialized(\Opentelemetry_Proto_Trace_V1_ResourceSpans.resource, resource)
            scopeHeader = try Self.serialized(\Opentelemetry_Proto_Trace_V1_ScopeSpans.scope, scope)
        case .logs:
            resourceHeader = try Self.serialized(\Opentelemetry_Proto_Logs_V1_ResourceLogs.resource, resource)
            scopeHeader = try Self.serialized(\Opentelemetry_Proto_Logs_V1_ScopeLogs.scope, scope)
        }
    }

    /// A message holding only `value` in `field`, serialized by SwiftProtobuf.
    private static func serialized<M: SwiftProtobuf.Message, V>(_ field: WritableKeyPath<M, V>, _ value: V) throws -> [UInt8] {
        var message = M()
        message[keyPath: field] = value
        return try message.serializedBytes()
    }

    /// The request's bytes, written once into `body` (cleared, its capacity
    /// kept for the next batch).
    func write(_ records: [[UInt8]], into body: inout [UInt8]) {
        var scopeLength = scopeHeader.count
        for record in records { scopeLength += Self.fieldLength(record.count) }
        let resourceLength = resourceHeader.count + Self.fieldLength(scopeLength)
        body.removeAll(keepingCapacity: true)
        body.reserveCapacity(Self.fieldLength(resourceLength))
        Self.appendFieldHeader(Self.requestResources, length: resourceLength, to: &body)
        body += resourceHeader
        Self.appendFieldHeader(Self.resourceScopes, length: scopeLength, to: &body)
        body += scopeHeader
        for record in records {
            Self.appendFieldHeader(Self.scopeRecords, length: record.count, to: &body)
            body += record
        }
    }

    /// Bytes of a length-delimited field holding `length` bytes (fields
    /// 1–15 have a one-byte tag).
    static func fieldLength(_ length: Int) -> Int { 1 + varintLength(UInt64(length)) + length }

    static func varintLength(_ value: UInt64) -> Int {
        var value = value, count = 1
        while value >= 0x80 { value >>= 7; count += 1 }
        return count
    }

    /// Tag (field number, wire type 2) and varint length.
    static func appendFieldHeader(_ field: Int, length: Int, to bytes: inout [UInt8]) {
        bytes.append(UInt8(field << 3 | 2))
        var value = UInt64(length)
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}
