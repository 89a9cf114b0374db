import Foundation

/// The OTLP output: a traces exporter and a logs exporter (each optional),
/// fed the same events. `enqueue(ndjson:)` is the only call the capture loops make;
/// it counts the lines, queues the buffer and returns.
public final class OTLPOutput: @unchecked Sendable, EventExport {
    public struct Settings: Sendable, Equatable {
        public var endpoint: String
        public var headers: [String: String]
        public var traces: Bool
        public var logs: Bool
        public var batchSize: Int
        /// Seconds a partial batch may wait.
        public var interval: Double
        /// Seconds per request; also the flush budget at exit.
        public var timeout: Double
        public var queueCapacity: Int
        public var retry: RetryPolicy
        /// PEM certificates to trust for https instead of the system's.
        public var trustFile: String?

        public init(endpoint: String = "http://127.0.0.1:4318", headers: [String: String] = [:], traces: Bool = true,
                    logs: Bool = true, batchSize: Int = 512, interval: Double = 1, timeout: Double = 10,
                    queueCapacity: Int = 65_536, retry: RetryPolicy = .init(), trustFile: String? = nil) {
            self.endpoint = endpoint
            self.headers = headers
            self.traces = traces
            self.logs = logs
            self.batchSize = batchSize
            self.interval = interval
            self.timeout = timeout
            self.queueCapacity = queueCapacity
            self.retry = retry
            self.trustFile = trustFile
        }
    }

    /// Where batches wait while the backend is down: one directory per
    /// output under `directory`, each bounded by `maxBytes`.
    public struct SpoolSettings: Sendable, Equatable {
        public var directory: String
        public var maxBytes: Int
        public init(directory: String, maxBytes: Int) {
            self.directory = directory
            self.maxBytes = maxBytes
        }
    }

    public let settings: Settings
    public let exporters: [Exporter]

    /// `counters`: by output name, the counts to go on from after a reload.
    public init(settings: Settings, spool: SpoolSettings?, resource: OTLPResource,
                counters: [String: ExportCounters] = [:], log: @escaping @Sendable (String) -> Void) throws {
        self.settings = settings
        let headers = settings.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        var exporters: [Exporter] = []
        for signal in [OTLPHTTPTransport.Signal.traces, .logs] {
            guard signal == .traces ? settings.traces : settings.logs else { continue }
            let name = "otlp_\(signal.rawValue)"
            let transport = try OTLPHTTPTransport(signal: signal, endpoint: settings.endpoint, headers: headers,
                                                  timeout: settings.timeout, trustFile: settings.trustFile,
                                                  resource: resource)
            let backlog = try spool.map { try Spool(directory: $0.directory + "/" + name, maxBytes: $0.maxBytes) }
            let repeats = OTLPEncoder.RepeatCounter(), attributes = OTLPEncoder.AttributeCache()
            let encode: ([UInt8]) -> [UInt8]? = signal == .traces
                ? { OTLPEncoder.span(json: $0, occurrence: repeats.occurrence(of: $0), attributes: attributes) }
                : { OTLPEncoder.logRecord(json: $0, occurrence: repeats.occurrence(of: $0), attributes: attributes) }
            exporters.append(Exporter(
                settings: .init(name: name, batchSize: settings.batchSize, interval: settings.interval,
                                queueCapacity: settings.queueCapacity, memoryBacklog: settings.queueCapacity,
                                retry: settings.retry),
                transport: transport, spool: backlog, encode: encode, counters: counters[name] ?? ExportCounters(), log: log))
        }
        self.exporters = exporters
    }

    public func start() { exporters.forEach { $0.start() } }

    /// Newline-separated JSON lines (the file output's bytes): shared by
    /// the exporters (one copy), split on their threads.
    public func enqueue(ndjson buffer: [UInt8]) {
        guard !buffer.isEmpty else { return }
        for exporter in exporters { exporter.enqueue(ndjson: buffer) }
    }

    public func enqueue(lines: [[UInt8]]) {
        for exporter in exporters { exporter.enqueue(lines) }
    }

    /// Sends what it can within `timeout` seconds (the exporters in
    /// parallel); the rest stays in the spool.
    public func close(timeout: Double) {
        let group = DispatchGroup()
        for exporter in exporters {
            DispatchQueue.global().async(group: group) { exporter.close(timeout: timeout) }
        }
        group.wait()
    }

    /// Per output name ("otlp_traces", "otlp_logs").
    public var counts: [(output: String, counts: ExportCounts)] {
        exporters.map { ($0.settings.name, $0.counters.snapshot) }
    }
}
