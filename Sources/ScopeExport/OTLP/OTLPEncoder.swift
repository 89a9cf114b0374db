import Foundation
import SwiftProtobuf

/// One event (its ECS JSON line) to one OTLP span or log record, serialized:
/// those bytes are what the exporter queues and spools. Runs on the output's
/// thread, never on the capture loop's.
public enum OTLPEncoder {
    /// Wire-compatible with the official Span and LogRecord, attributes as
    /// serialized KeyValues (`Protos/dpdkscope/otlp/v1/framed.proto`).
    typealias Span = Dpdkscope_Otlp_V1_FramedSpan
    typealias LogRecord = Dpdkscope_Otlp_V1_FramedLogRecord
    typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue
    typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue

    /// A span for a transaction; nil for flows and lines that do not parse.
    /// `occurrence`: how many identical lines came just before this one
    /// (`RepeatCounter`): pipelined requests can make events that differ in
    /// nothing, and each still needs its own span id. `attributes`: the
    /// output thread's cache of serialized attributes.
    public static func span(json line: [UInt8], occurrence: Int = 0,
                            attributes cache: AttributeCache = AttributeCache()) -> [UInt8]? {
        guard let event = EventFields(json: line), let type = event.string("type"), type != "flow" else { return nil }
        var span = Span()
        let ids = identifiers(line, event, occurrence: occurrence)
        span.traceID = ids.trace
        span.spanID = ids.span
        if let parent = ids.parent { span.parentSpanID = parent }
        span.name = spanName(event, type: type)
        span.kind = databaseSystem(type) != nil || type == "dns" ? .client : .server
        let start = event.string("event.start").flatMap(timestamp) ?? event.string("@timestamp").flatMap(timestamp) ?? 0
        span.startTimeUnixNano = start
        span.endTimeUnixNano = event.string("event.end").flatMap(timestamp) ?? start
        span.attributes = spanAttributes(event, type: type).map { cache.attribute($0.key, $0.value) }
        if let failure = failure(event, type: type) {
            span.status.code = .error
            span.status.message = failure
            span.attributes.append(cache.attribute("error.type", .string(failure)))
        }
        return try? span.serializedBytes()
    }

    /// A log record for any event, its ECS fields as attributes.
    public static func logRecord(json line: [UInt8], occurrence: Int = 0, observedAt now: UInt64 = wallClockNanoseconds(),
                                 attributes cache: AttributeCache = AttributeCache()) -> [UInt8]? {
        guard let event = EventFields(json: line) else { return nil }
        let type = event.string("type") ?? "event"
        var record = LogRecord()
        record.timeUnixNano = event.string("@timestamp").flatMap(timestamp) ?? 0
        record.observedTimeUnixNano = now
        record.eventName = "dpdkscope.\(type)"
        let failed = type != "flow" && failure(event, type: type) != nil
        record.severityNumber = failed ? .warn : .info
        record.severityText = failed ? "WARN" : "INFO"
        var body = AnyValue()
        body.stringValue = event.string("query").map { "\(type) \($0)" } ?? type
        record.body = body
        record.attributes.reserveCapacity(event.fields.count)
        for (key, value) in event.fields where key != "@timestamp" { record.attributes.append(cache.attribute(key, value)) }
        if type != "flow" {
            let ids = identifiers(line, event, occurrence: occurrence)
            record.traceID = ids.trace
            record.spanID = ids.span
        }
        return try? record.serializedBytes()
    }

    // MARK: - Spans by semantic conventions

    /// HTTP: the method (no route is known); others: "redis SET", "dns QUERY".
    static func spanName(_ event: EventFields, type: String) -> String {
        if type == "http" { return event.string("http.request.method") ?? "HTTP" }
        if let method = event.string("method"), !method.isEmpty { return "\(type) \(method)" }
        return type
    }

    static func databaseSystem(_ type: String) -> String? {
        switch type {
        case "redis": return "redis"
        case "mysql": return "mysql"
        case "pgsql": return "postgresql"
        case "memcache": return "memcached"
        default: return nil
        }
    }

    /// ECS field → OpenTelemetry attribute, where the meaning is the same.
    static let renamed: [(ecs: String, otel: String)] = [
        ("http.request.method", "http.request.method"),
        ("http.response.status_code", "http.response.status_code"),
        ("http.request.body.bytes", "http.request.body.size"),
        ("http.response.body.bytes", "http.response.body.size"),
        ("url.path", "url.path"),
        ("url.query", "url.query"),
        ("url.scheme", "url.scheme"),
        ("url.full", "url.full"),
        ("user_agent.original", "user_agent.original"),
        ("server.ip", "server.address"),
        ("server.port", "server.port"),
        ("client.ip", "client.address"),
        ("client.port", "client.port"),
        ("network.transport", "network.transport"),
        ("network.type", "network.type"),
        ("network.community_id", "network.community_id"),
        ("dns.question.name", "dns.question.name"),
        ("dns.question.type", "dns.question.type"),
        ("dns.response_code", "dns.response_code"),
        ("dns.answers_count", "dns.answers_count"),
    ]

    static func spanAttributes(_ event: EventFields, type: String) -> [(key: String, value: EventFields.Value)] {
        var attributes: [(key: String, value: EventFields.Value)] = []
        attributes.reserveCapacity(renamed.count + 5)
        for (ecs, otel) in renamed {
            if let value = event[ecs] { attributes.append((otel, value)) }
        }
        attributes.append(("network.protocol.name", .string(type)))
        if type == "http", let version = event.string("http.version"), !version.isEmpty {
            attributes.append(("network.protocol.version", .string(version)))
        }
        if let system = databaseSystem(type) {
            attributes.append(("db.system.name", .string(system)))
            attributes.append(("db.system", .string(system)))
            if let method = event.string("method") { attributes.append(("db.operation.name", .string(method))) }
            if let query = event.string("query") { attributes.append(("db.query.text", .string(query))) }
        }
        return attributes
    }

    /// Why the span failed, or nil. HTTP by its conventions for servers:
    /// 5xx, or no response; every other protocol by the event's status.
    static func failure(_ event: EventFields, type: String) -> String? {
        if type == "http" {
            guard let code = event.int("http.response.status_code") else { return "no response" }
            return code >= 500 ? String(code) : nil
        }
        guard let status = event.string("status"), status != "OK" else { return nil }
        return event.string("dns.response_code") ?? status
    }

    // MARK: - Identifiers

    /// Counts identical consecutive lines, on one output's thread. Every
    /// output sees the same lines in the same order, so spans and log
    /// records of one event get the same ids.
    public final class RepeatCounter {
        private var last: [UInt8] = []
        private var repeats = 0
        public init() {}
        public func occurrence(of line: [UInt8]) -> Int {
            if line == last { repeats += 1 } else { (last, repeats) = (line, 0) }
            return repeats
        }
    }

    /// From the request's `traceparent` when the event has it (`trace.id`,
    /// `span.id`, the caller's span); otherwise derived from the event's
    /// line, so the same capture read twice yields the same ids.
    static func identifiers(_ line: [UInt8], _ event: EventFields, occurrence: Int) -> (trace: Data, span: Data, parent: Data?) {
        var seed = line
        if occurrence > 0 { seed += Array(":\(occurrence)".utf8) }
        let hashes = hash(seed, seeds: (0x5350_414E, 0x5452_4143, 0x4944_3136))
        let spanID = nonZero(hashes.0)
        if let trace = event.string("trace.id").flatMap(hexBytes), trace.count == 16 {
            return (Data(trace), Data(spanID), event.string("span.id").flatMap(hexBytes).map { Data($0) })
        }
        let trace = nonZero(hashes.1) + hashes.2
        return (Data(trace), Data(spanID), nil)
    }

    /// FNV-1a, 64 bits, from three seeds in one pass over the line (it was
    /// read once per seed, a few percent of a record's cost): ids, not security.
    static func hash(_ bytes: [UInt8], seeds: (UInt64, UInt64, UInt64)) -> ([UInt8], [UInt8], [UInt8]) {
        let basis: UInt64 = 0xcbf2_9ce4_8422_2325, prime: UInt64 = 0x100_0000_01b3
        var (first, second, third) = (basis ^ seeds.0, basis ^ seeds.1, basis ^ seeds.2)
        for byte in bytes {
            first = (first ^ UInt64(byte)) &* prime
            second = (second ^ UInt64(byte)) &* prime
            third = (third ^ UInt64(byte)) &* prime
        }
        func finish(_ value: UInt64) -> [UInt8] {
            var value = value
            value ^= value >> 33
            value = value &* 0xff51_afd7_ed55_8ccd
            value ^= value >> 33
            return withUnsafeBytes(of: value.bigEndian) { Array($0) }
        }
        return (finish(first), finish(second), finish(third))
    }

    static func nonZero(_ bytes: [UInt8]) -> [UInt8] { bytes.allSatisfy { $0 == 0 } ? [0, 0, 0, 0, 0, 0, 0, 1] : bytes }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexDigit(digits[index]), let low = hexDigit(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes.allSatisfy { $0 == 0 } ? nil : bytes
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }

    // MARK: - Values

    static func keyValue(_ key: String, _ value: EventFields.Value) -> KeyValue {
        var pair = KeyValue()
        pair.key = key
        pair.value = anyValue(value)
        return pair
    }

    static func anyValue(_ value: EventFields.Value) -> AnyValue {
        var any = AnyValue()
        switch value {
        case .string(let text): any.stringValue = text
        case .int(let number): any.intValue = number
        case .double(let number): any.doubleValue = number
        case .bool(let flag): any.boolValue = flag
        case .array(let values):
            var array = Opentelemetry_Proto_Common_V1_ArrayValue()
            array.values = values.map(anyValue)
            any.arrayValue = array
        }
        return any
    }

    /// "2026-11-21T20:33:27.820846000Z" (as events write it) to Unix ns.
    static func timestamp(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard bytes[index] >= 0x30 && bytes[index] <= 0x39 else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var fraction: UInt64 = 0
        if bytes[19] == UInt8(ascii: ".") {
            let digits = bytes[20..<(bytes.count - 1)]
            guard digits.count <= 9, let value = number(20..<(bytes.count - 1)) else { return nil }
            fraction = UInt64(value) * UInt64(pow(10, Double(9 - digits.count)))
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        guard seconds >= 0 else { return nil }
        return UInt64(seconds) * 1_000_000_000 + fraction
    }

    public static func wallClockNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
