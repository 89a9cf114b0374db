import CKafka
import Foundation

/// A batch of records through librdkafka's producer: every record is
/// produced, then the call waits for each one's delivery report. librdkafka
/// batches, compresses and retries inside `timeout` (`message.timeout.ms`),
/// so when this returns every record of the batch has its answer and none
/// is still queued inside librdkafka to turn up later as a duplicate.
///
/// A batch that fails in part is retried by the Exporter; the records
/// already delivered are remembered and skipped when the same batch comes
/// back, so a broker that goes down mid-batch does not make them twice.
public final class KafkaTransport: ExportTransport {
    public struct Settings: Sendable, Equatable {
        public var brokers: [String]
        /// none, gzip, snappy, lz4, zstd.
        public var compression: String
        /// all, 1 or 0 (librdkafka's `acks`: -1, 1, 0).
        public var acks: String
        /// Seconds a record may take to be acknowledged (`message.timeout.ms`).
        public var timeout: Double
        /// librdkafka properties applied last (security.protocol, sasl.*, linger.ms …).
        public var properties: [String: String]

        public init(brokers: [String] = ["127.0.0.1:9092"], compression: String = "none", acks: String = "all",
                    timeout: Double = 10, properties: [String: String] = [:]) {
            self.brokers = brokers
            self.compression = compression
            self.acks = acks
            self.timeout = timeout
            self.properties = properties
        }
    }

    public let settings: Settings
    private var handle: OpaquePointer?
    /// The last batch that failed in part, and which of its records are done with.
    private var unfinished: (batch: [[UInt8]], done: [Bool])?

    public init(settings: Settings) throws {
        self.settings = settings
        handle = try Self.makeProducer(settings)
    }

    deinit {
        if let handle {
            _ = rd_kafka_flush(handle, 0)
            rd_kafka_destroy(handle)
        }
    }

    /// The properties the producer gets, in order (later ones win).
    static func properties(_ settings: Settings) -> [(String, String)] {
        var properties: [(String, String)] = [
            ("bootstrap.servers", settings.brokers.joined(separator: ",")),
            ("client.id", "dpdkscope"),
            ("compression.type", settings.compression),
            ("acks", settings.acks == "all" ? "-1" : settings.acks),
            // Ordered, no duplicates from librdkafka's own retries; needs acks=all.
            ("enable.idempotence", settings.acks == "all" ? "true" : "false"),
            ("message.timeout.ms", String(max(1000, Int(settings.timeout * 1000)))),
            ("linger.ms", "5"),
        ]
        properties += settings.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return properties
    }

    /// Builds (and so validates) a producer configuration; the error names
    /// the property librdkafka refused.
    static func makeProducer(_ settings: Settings) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw ExportError("kafka: cannot allocate a configuration") }
        var error = [CChar](repeating: 0, count: 512)
        for (name, value) in properties(settings) {
            guard rd_kafka_conf_set(conf, name, value, &error, error.count) == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw ExportError("kafka: \(name): \(Self.text(error))")
            }
        }
        ckafka_conf_callbacks(conf)
        guard let producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &error, error.count) else {
            rd_kafka_conf_destroy(conf)
            throw ExportError("kafka: \(Self.text(error))")
        }
        return producer
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Checks the settings as the producer would, without connecting.
    public static func validate(_ settings: Settings) -> String? {
        do {
            let producer = try makeProducer(settings)
            rd_kafka_destroy(producer)
            return nil
        } catch {
            return "\(error)"
        }
    }

    public func send(_ batch: [[UInt8]]) -> ExportResult {
        if handle == nil {
            do { handle = try Self.makeProducer(settings) } catch { return .retry(after: nil, reason: "\(error)") }
        }
        guard let handle else { return .retry(after: nil, reason: "kafka: no producer") }
        var done = [Bool](repeating: false, count: batch.count)
        if let unfinished, unfinished.batch == batch { done = unfinished.done }
        unfinished = nil

        let reports = UnsafeMutableBufferPointer<ckafka_report>.allocate(capacity: max(1, batch.count))
        reports.initialize(repeating: ckafka_report())
        defer { reports.deallocate() }
        var rejected = 0
        var rejection: String?
        var produced: [Int] = []
        for (index, bytes) in batch.enumerated() where !done[index] {
            guard let record = KafkaRecord(encoded: bytes) else {
                done[index] = true
                rejected += 1
                rejection = rejection ?? "a spooled record is damaged"
                continue
            }
            var status = produce(handle, record, report: reports.baseAddress! + index)
            while status == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_poll(handle, 50)
                status = produce(handle, record, report: reports.baseAddress! + index)
            }
            if status == RD_KAFKA_RESP_ERR_NO_ERROR {
                produced.append(index)
            } else if Self.isPermanent(status) {
                done[index] = true
                rejected += 1
                rejection = rejection ?? String(cString: rd_kafka_err2str(status))
            } else {
                // Not queued (e.g. a fatal producer error): tried again with the batch.
                reports[index].done = 1
                reports[index].error = status.rawValue
            }
        }
        awaitReports(handle, reports, produced)

        var failures = 0
        var reason: String?
        for index in produced {
            let report = reports[index]
            let error = rd_kafka_resp_err_t(rawValue: report.error)
            if report.error == 0 {
                done[index] = true
            } else if Self.isPermanent(error) {
                done[index] = true
                rejected += 1
                rejection = rejection ?? String(cString: rd_kafka_err2str(error))
            } else {
                failures += 1
                reason = reason ?? String(cString: rd_kafka_err2str(error))
            }
        }
        if failures > 0 || done.contains(false) {
            recoverFromFatalError()
            unfinished = (batch, done)
            return .retry(after: nil, reason: "kafka: \(reason ?? "records not delivered") (\(settings.brokers.joined(separator: ",")))")
        }
        return .sent(rejected: rejected, message: rejection)
    }

    private func produce(_ handle: OpaquePointer, _ record: KafkaRecord, report: UnsafeMutablePointer<ckafka_report>)
        -> rd_kafka_resp_err_t {
        record.key.withUnsafeBytes { key in
            record.value.withUnsafeBytes { value in
                ckafka_produce(handle, record.topic, record.key.isEmpty ? nil : key.baseAddress, key.count,
                               value.baseAddress, value.count, report)
            }
        }
    }

    /// Every produced record's report, or purged ones' after a grace period
    /// past `message.timeout.ms` (which librdkafka enforces itself).
    private func awaitReports(_ handle: OpaquePointer, _ reports: UnsafeMutableBufferPointer<ckafka_report>, _ produced: [Int]) {
        let grace = Date().addingTimeInterval(settings.timeout + 5)
        var purged = false
        while produced.contains(where: { reports[$0].done == 0 }) {
            rd_kafka_poll(handle, 50)
            if !purged && Date() > grace {
                // The reports' memory must not be freed before they arrive.
                rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                purged = true
            }
        }
    }

    /// With idempotence a fatal error leaves the producer unusable: the
    /// next send starts a new one.
    private func recoverFromFatalError() {
        guard let handle else { return }
        var text = [CChar](repeating: 0, count: 256)
        guard rd_kafka_fatal_error(handle, &text, text.count) != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        _ = rd_kafka_flush(handle, 0)
        rd_kafka_destroy(handle)
        self.handle = nil
    }

    /// Errors no repetition can cure: the record is dropped and counted.
    static func isPermanent(_ error: rd_kafka_resp_err_t) -> Bool {
        [RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG,
         RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR__INVALID_ARG,
         RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION, RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS].contains(error)
    }
}
