import Foundation

/// Events to Kafka: one Exporter (queue, spool under `spool/kafka`,
/// back-off, counters `output="kafka"`) over a librdkafka producer. The
/// topic and key are chosen on the exporter's thread, never by the caller.
public final class KafkaOutput: @unchecked Sendable, EventExport {
    public struct Settings: Sendable, Equatable {
        public var producer: KafkaTransport.Settings
        /// A topic, or a template with `{dataset}` ("dpdkscope-{dataset}").
        public var topic: String
        public var batchSize: Int
        public var interval: Double
        public var queueCapacity: Int
        public var retry: RetryPolicy

        public init(producer: KafkaTransport.Settings = .init(), topic: String = "dpdkscope", batchSize: Int = 1024,
                    interval: Double = 0.5, queueCapacity: Int = 65_536, retry: RetryPolicy = .init()) {
            self.producer = producer
            self.topic = topic
            self.batchSize = batchSize
            self.interval = interval
            self.queueCapacity = queueCapacity
            self.retry = retry
        }
    }

    public static let name = "kafka"
    public let settings: Settings
    public let exporter: Exporter

    /// `counters`: by output name, the counts to go on from after a reload.
    public init(settings: Settings, spool: OTLPOutput.SpoolSettings?, counters: [String: ExportCounters] = [:],
                log: @escaping @Sendable (String) -> Void) throws {
        self.settings = settings
        let transport = try KafkaTransport(settings: settings.producer)
        let backlog = try spool.map { try Spool(directory: $0.directory + "/" + Self.name, maxBytes: $0.maxBytes) }
        let topic = settings.topic
        exporter = Exporter(
            settings: .init(name: Self.name, batchSize: settings.batchSize, interval: settings.interval,
                            queueCapacity: settings.queueCapacity, memoryBacklog: settings.queueCapacity, retry: settings.retry),
            transport: transport, spool: backlog, encode: { KafkaRecord(json: $0, topic: topic).encoded },
            counters: counters[Self.name] ?? ExportCounters(), log: log)
    }

    public func start() { exporter.start() }

    public func enqueue(ndjson buffer: [UInt8]) {
        guard !buffer.isEmpty else { return }
        exporter.enqueue(ndjson: buffer)
    }

    public func enqueue(lines: [[UInt8]]) { exporter.enqueue(lines) }

    /// Sends what it can within `timeout` seconds; the rest stays in the spool.
    public func close(timeout: Double) { exporter.close(timeout: timeout) }

    public var exporters: [Exporter] { [exporter] }
}

/// An output fed the event file's JSON lines (OTLP, Kafka): what the
/// agent's event writer hands each batch to.
public protocol EventExport: AnyObject, Sendable {
    func enqueue(ndjson buffer: [UInt8])
    func close(timeout: Double)
    var exporters: [Exporter] { get }
}
