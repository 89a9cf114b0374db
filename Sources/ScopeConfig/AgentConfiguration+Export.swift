extension AgentConfiguration.Outputs {
    /// Events to an OpenTelemetry backend over OTLP/HTTP (protobuf):
    /// transactions as spans, every event as a log record.
    public struct OTLP: Equatable, Sendable {
        public var enabled: Bool
        /// Base URL; `/v1/traces` and `/v1/logs` are appended.
        public var endpoint: String
        /// Sent with every request (an API key, a tenant). Never printed.
        public var headers: [String: String]
        public var traces: Bool
        public var logs: Bool
        /// Records per request.
        public var batchSize: Int
        /// Longest a partial batch waits.
        public var interval: Duration
        /// Per request; also the flush budget at exit.
        public var timeout: Duration
        /// Events waiting in memory before the output's thread takes them.
        public var queueSize: Int
        /// PEM certificates to trust for https (a private CA); nil: the system's.
        public var tlsCAFile: String?

        public init(enabled: Bool = false, endpoint: String = "http://127.0.0.1:4318", headers: [String: String] = [:],
                    traces: Bool = true, logs: Bool = true, batchSize: Int = 512, interval: Duration = .seconds(1),
                    timeout: Duration = .seconds(10), queueSize: Int = 65_536, tlsCAFile: String? = nil) {
            self.enabled = enabled
            self.endpoint = endpoint
            self.headers = headers
            self.traces = traces
            self.logs = logs
            self.batchSize = batchSize
            self.interval = interval
            self.timeout = timeout
            self.queueSize = queueSize
            self.tlsCAFile = tlsCAFile
        }
    }

    /// The `/metrics` series pushed by Prometheus remote-write 1.0.
    public struct RemoteWrite: Equatable, Sendable {
        public var enabled: Bool
        public var url: String
        public var headers: [String: String]
        /// Added to every series; `host` defaults to the host name.
        public var externalLabels: [String: String]
        public var interval: Duration
        public var timeout: Duration
        public var tlsCAFile: String?

        public init(enabled: Bool = false, url: String = "http://127.0.0.1:9090/api/v1/write",
                    headers: [String: String] = [:], externalLabels: [String: String] = [:],
                    interval: Duration = .seconds(15), timeout: Duration = .seconds(10), tlsCAFile: String? = nil) {
            self.enabled = enabled
            self.url = url
            self.headers = headers
            self.externalLabels = externalLabels
            self.interval = interval
            self.timeout = timeout
            self.tlsCAFile = tlsCAFile
        }
    }

    /// Where exported events wait while their backend is down: one
    /// directory per output under `path`, each bounded by `maxBytes`.
    public struct Spool: Equatable, Sendable {
        public var enabled: Bool
        public var path: String
        public var maxBytes: Int

        public init(enabled: Bool = true, path: String = "/var/lib/dpdkscope/spool", maxBytes: Int = 1 << 30) {
            self.enabled = enabled
            self.path = path
            self.maxBytes = maxBytes
        }
    }

    mutating func readExport(_ section: ConfigSection) {
        let otlpSection = section.section("otlp", keys: ["enabled", "endpoint", "headers", "traces", "logs", "batch_size",
                                                         "interval", "timeout", "queue_size", "tls_ca_file"])
        otlpSection.read("enabled", into: &otlp.enabled) { $0.bool() }
        otlpSection.read("endpoint", into: &otlp.endpoint) { $0.httpURL() }
        otlpSection.read("headers", into: &otlp.headers) { $0.httpHeaders() }
        otlpSection.read("traces", into: &otlp.traces) { $0.bool() }
        otlpSection.read("logs", into: &otlp.logs) { $0.bool() }
        otlpSection.read("batch_size", into: &otlp.batchSize) { $0.integer(in: 1...65_536) }
        otlpSection.read("interval", into: &otlp.interval) { $0.duration(in: .milliseconds(10)...Duration.seconds(3600)) }
        otlpSection.read("timeout", into: &otlp.timeout) { $0.duration(in: .milliseconds(100)...Duration.seconds(600)) }
        otlpSection.read("queue_size", into: &otlp.queueSize) { $0.integer(in: 1...(1 << 24)) }
        otlpSection.read("tls_ca_file", into: &otlp.tlsCAFile) { $0.nullable { $0.filePath() } }
        if otlp.enabled && !otlp.traces && !otlp.logs {
            otlpSection.report("traces and logs are both off; turn one on or set enabled: false")
        }

        let push = section.section("remote_write", keys: ["enabled", "url", "headers", "external_labels", "interval", "timeout", "tls_ca_file"])
        push.read("enabled", into: &remoteWrite.enabled) { $0.bool() }
        push.read("url", into: &remoteWrite.url) { $0.httpURL() }
        push.read("headers", into: &remoteWrite.headers) { $0.httpHeaders() }
        push.read("external_labels", into: &remoteWrite.externalLabels) { $0.labelMap() }
        push.read("interval", into: &remoteWrite.interval) { $0.duration(in: .seconds(1)...Duration.seconds(3600)) }
        push.read("timeout", into: &remoteWrite.timeout) { $0.duration(in: .milliseconds(100)...Duration.seconds(600)) }
        push.read("tls_ca_file", into: &remoteWrite.tlsCAFile) { $0.nullable { $0.filePath() } }
        if remoteWrite.enabled && !metrics.enabled {
            push.report("remote_write pushes the /metrics series; it needs outputs.metrics.enabled: true")
        }

        let spoolSection = section.section("spool", keys: ["enabled", "path", "max_bytes"])
        spoolSection.read("enabled", into: &spool.enabled) { $0.bool() }
        spoolSection.read("path", into: &spool.path) { $0.text() }
        spoolSection.read("max_bytes", into: &spool.maxBytes) { $0.size(in: (64 << 10)...(1 << 42)) }
    }
}

extension Duration {
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension ConfigValue {
    /// http:// or https:// with a host.
    func httpURL() -> String? {
        guard let text = text() else { return nil }
        let lower = text.lowercased()
        guard let schemeEnd = lower.range(of: "://"), ["http", "https"].contains(String(lower[..<schemeEnd.lowerBound])) else {
            return fail("\(quoted(Self.redactingUserInfo(text))) is not an http:// or https:// URL")
        }
        let rest = text[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != ":" && $0 != "?" }
        if host.isEmpty { return fail("\(quoted(Self.redactingUserInfo(text))) has no host") }
        if text.contains(where: { $0 == " " || $0 == "\n" || $0 == "\r" }) { return fail("a URL cannot contain spaces") }
        return text
    }

    /// `user:password@` of a URL is never printed, errors included.
    static func redactingUserInfo(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "REDACTED" + String(rest[at...])
    }

    /// Prometheus label names to values (external labels).
    func labelMap() -> [String: String]? {
        if isNull { return [:] }
        guard case .mapping(let mapping) = node else {
            return fail("expected a mapping of label names to values, got \(describe(node))")
        }
        var labels: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let value = ConfigValue(node: valueNode, path: path.key(keyNode.string ?? "?"), log: log)
            guard let name = keyNode.string, let first = name.utf8.first, !(0x30...0x39).contains(first), !name.hasPrefix("__"),
                  name.utf8.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || (0x30...0x39).contains($0) || $0 == 0x5F })
            else {
                value.report("\(quoted(keyNode.string ?? "")) is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not __...)")
                continue
            }
            guard let text = value.text() else { continue }
            labels[name] = text
        }
        return labels
    }

    /// A mapping of header names to values, e.g. { Authorization: "Bearer …" }.
    func httpHeaders() -> [String: String]? {
        if isNull { return [:] }
        guard case .mapping(let mapping) = node else {
            return fail("expected a mapping of header names to values, got \(describe(node))")
        }
        var headers: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let value = ConfigValue(node: valueNode, path: path.key(keyNode.string ?? "?"), log: log)
            guard let name = keyNode.string, !name.isEmpty,
                  name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
                value.report("\(quoted(keyNode.string ?? "")) is not an HTTP header name")
                continue
            }
            guard let text = value.text(allowEmpty: true) else { continue }
            if text.contains(where: { $0 == "\r" || $0 == "\n" }) {
                value.report("a header value cannot contain a line break")
                continue
            }
            headers[name] = text
        }
        return headers
    }
}
