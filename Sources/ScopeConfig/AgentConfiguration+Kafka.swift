extension AgentConfiguration.Outputs {
    /// Events to Kafka through librdkafka: one message per event, keyed by
    /// its Community ID so a flow's events stay in one partition, in order.
    public struct Kafka: Equatable, Sendable {
        public enum Compression: String, CaseIterable, Sendable {
            case none, gzip, snappy, lz4, zstd
        }

        public enum Acks: String, CaseIterable, Sendable {
            case all, leader = "1", none = "0"
        }

        public var enabled: Bool
        /// Bootstrap brokers, host:port.
        public var brokers: [String]
        /// A topic, or a template with {dataset} (http, dns, flow …).
        public var topic: String
        public var compression: Compression
        public var acks: Acks
        /// Events per hand-over to librdkafka.
        public var batchSize: Int
        public var interval: Duration
        /// How long a message may take to be acknowledged; also the flush budget at exit.
        public var timeout: Duration
        public var queueSize: Int
        /// librdkafka properties passed as they are (security.protocol, sasl.*, ssl.*,
        /// linger.ms …), applied after the keys above. Values are never printed.
        public var properties: [String: String]

        public init(enabled: Bool = false, brokers: [String] = ["127.0.0.1:9092"], topic: String = "dpdkscope",
                    compression: Compression = .none, acks: Acks = .all, batchSize: Int = 1024,
                    interval: Duration = .milliseconds(500), timeout: Duration = .seconds(10), queueSize: Int = 65_536,
                    properties: [String: String] = [:]) {
            self.enabled = enabled
            self.brokers = brokers
            self.topic = topic
            self.compression = compression
            self.acks = acks
            self.batchSize = batchSize
            self.interval = interval
            self.timeout = timeout
            self.queueSize = queueSize
            self.properties = properties
        }

        static let keys = ["enabled", "brokers", "topic", "compression", "acks", "batch_size", "interval", "timeout",
                           "queue_size", "properties"]
    }

    /// `check` is librdkafka's verdict on the producer settings (nil: accepted).
    mutating func readKafka(_ section: ConfigSection, check: (Kafka) -> String?) {
        let kafkaSection = section.section("kafka", keys: Kafka.keys)
        kafkaSection.read("enabled", into: &kafka.enabled) { $0.bool() }
        kafkaSection.read("brokers", into: &kafka.brokers) { value in
            guard let items = value.items(of: "host:port brokers") else { return nil }
            guard !items.isEmpty else { return value.fail("needs at least one broker") }
            let brokers = items.compactMap { $0.broker() }
            return brokers.count == items.count ? brokers : nil
        }
        kafkaSection.read("topic", into: &kafka.topic) { $0.kafkaTopic() }
        kafkaSection.read("compression", into: &kafka.compression) { $0.choice() }
        kafkaSection.read("acks", into: &kafka.acks) { $0.choice() }
        kafkaSection.read("batch_size", into: &kafka.batchSize) { $0.integer(in: 1...65_536) }
        kafkaSection.read("interval", into: &kafka.interval) { $0.duration(in: .milliseconds(10)...Duration.seconds(3600)) }
        kafkaSection.read("timeout", into: &kafka.timeout) { $0.duration(in: .seconds(1)...Duration.seconds(600)) }
        kafkaSection.read("queue_size", into: &kafka.queueSize) { $0.integer(in: 1...(1 << 24)) }
        kafkaSection.read("properties", into: &kafka.properties) { $0.propertyMap() }
        if kafka.enabled, let problem = check(kafka) { kafkaSection.report(problem) }
    }
}

extension ConfigValue {
    /// host:port (a name, IPv4, or [IPv6]).
    func broker() -> String? {
        guard let text = text() else { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0,
              colon != text.startIndex, !text.contains(where: { $0 == " " || $0 == "," || $0 == "/" }) else {
            return fail("\(quoted(text)) is not host:port")
        }
        return text
    }

    /// Kafka's topic alphabet ([a-zA-Z0-9._-], at most 249), `{dataset}` allowed.
    func kafkaTopic() -> String? {
        guard let text = text() else { return nil }
        let plain = text.replacingOccurrences(of: "{dataset}", with: "d")
        guard plain.count <= 200, plain.unicodeScalars.allSatisfy({
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-")
        }) else {
            return fail("\(quoted(text)) is not a Kafka topic (letters, digits, . _ - and {dataset}, at most 200)")
        }
        return text
    }

    /// Property names to values, each written as text.
    func propertyMap() -> [String: String]? {
        if isNull { return [:] }
        guard case .mapping(let mapping) = node else {
            return fail("expected a mapping of librdkafka property names to values, got \(describe(node))")
        }
        var properties: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let value = ConfigValue(node: valueNode, path: path.key(keyNode.string ?? "?"), log: log)
            guard let name = keyNode.string, !name.isEmpty else {
                value.report("a property needs a name")
                continue
            }
            guard let text = value.text(allowEmpty: true) else { continue }
            properties[name] = text
        }
        return properties
    }
}
