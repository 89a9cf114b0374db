import Testing
@testable import ScopeConfig

@Suite("outputs.kafka")
struct KafkaConfigTests {
    @Test("defaults: off, 127.0.0.1:9092, topic dpdkscope, acks all, no compression")
    func defaults() {
        let kafka = AgentConfiguration().outputs.kafka
        #expect(!kafka.enabled && kafka.brokers == ["127.0.0.1:9092"] && kafka.topic == "dpdkscope")
        #expect(kafka.acks == .all && kafka.compression == .none && kafka.properties.isEmpty)
        #expect(kafka.timeout == .seconds(10) && kafka.batchSize == 1024 && kafka.queueSize == 65_536)
    }

    @Test("every key read; properties as text")
    func full() throws {
        let yaml = """
        outputs:
          kafka:
            enabled: true
            brokers: ["k1.example:9092", "[::1]:9093"]
            topic: "dpdkscope-{dataset}"
            compression: zstd
            acks: 1
            batch_size: 100
            interval: 50ms
            timeout: 5s
            queue_size: 1000
            properties: { linger.ms: 20, security.protocol: SASL_SSL, sasl.password: "s3cret" }
        """
        var checked: AgentConfiguration.Outputs.Kafka?
        let kafka = try AgentConfiguration.parse(yaml, file: "test.yaml", checkKafka: { checked = $0; return nil }).outputs.kafka
        #expect(kafka == .init(enabled: true, brokers: ["k1.example:9092", "[::1]:9093"], topic: "dpdkscope-{dataset}",
                               compression: .zstd, acks: .leader, batchSize: 100, interval: .milliseconds(50),
                               timeout: .seconds(5), queueSize: 1000,
                               properties: ["linger.ms": "20", "security.protocol": "SASL_SSL", "sasl.password": "s3cret"]))
        #expect(checked == kafka)
    }

    @Test("Kafka alone is an output")
    func kafkaAlone() throws {
        let yaml = "outputs:\n  stdout: { enabled: false }\n  file: { enabled: false }\n  metrics: { enabled: false }\n  kafka: { enabled: true }\n"
        #expect(try AgentConfiguration.parse(yaml).outputs.kafka.enabled)
    }

    @Test("bad values are reported with their path and line")
    func errors() {
        expectOneError("outputs:\n  kafka:\n    brokers: [\"nohost\"]\n", path: "outputs.kafka.brokers[0]", line: 3, "is not host:port")
        expectOneError("outputs:\n  kafka:\n    brokers: []\n", path: "outputs.kafka.brokers", line: 3, "needs at least one broker")
        expectOneError("outputs:\n  kafka:\n    topic: \"a/b\"\n", path: "outputs.kafka.topic", line: 3, "is not a Kafka topic")
        expectOneError("outputs:\n  kafka:\n    compression: brotli\n", path: "outputs.kafka.compression", line: 3,
                       "is not one of none, gzip, snappy, lz4, zstd")
        expectOneError("outputs:\n  kafka:\n    acks: 2\n", path: "outputs.kafka.acks", line: 3, "is not one of all, 1, 0")
        expectOneError("outputs:\n  kafka:\n    timeout: 10ms\n", path: "outputs.kafka.timeout", line: 3, "out of range")
        expectOneError("outputs:\n  kafka:\n    properties: [a]\n", path: "outputs.kafka.properties", line: 3,
                       "expected a mapping of librdkafka property names")
    }

    @Test("librdkafka's verdict is a configuration error at outputs.kafka, only when enabled")
    func librdkafkaVerdict() {
        let yaml = "outputs:\n  kafka:\n    enabled: true\n    properties: { no.such: 1 }\n"
        do {
            _ = try AgentConfiguration.parse(yaml, file: "t.yaml", checkKafka: { _ in "kafka: no.such: No such configuration property" })
            Issue.record("accepted")
        } catch {
            #expect(error.errors.map(\.description) == ["t.yaml:3: outputs.kafka: kafka: no.such: No such configuration property"])
        }
        #expect((try? AgentConfiguration.parse("outputs:\n  kafka:\n    enabled: false\n", checkKafka: { _ in "refused" })) != nil)
    }

    @Test("a refused endpoint's user:password@ is not printed in the error")
    func endpointPasswordRedacted() {
        let errors = configErrors("outputs:\n  otlp:\n    endpoint: \"ftp://u:pw@x\"\n")
        #expect(errors.count == 1 && errors.allSatisfy { !$0.message.contains("pw") && $0.message.contains("REDACTED@x") },
                "\(errors)")
    }
}
