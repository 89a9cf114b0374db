import Foundation
import ScopeTestSupport
import Testing
@testable import ScopeExport

/// The Kafka output against librdkafka's mock cluster (its own process on
/// loopback), every message read back by kcat: topics per dataset, keys =
/// Community ID (a flow's events in one partition, in order), and a broker
/// outage during which events spool and after which each arrives once.
@Suite(.enabled(if: KafkaMockCluster.enabled, "librdkafka-dev or kcat is not installed"), .serialized)
struct KafkaOutputTests {
    static func lines() throws -> [[UInt8]] {
        try ["http.pcap", "dns.pcap", "redis.pcap", "icmp.pcap"].flatMap { try FixtureAnalysis.lines($0) }
    }

    static func output(_ cluster: KafkaMockCluster, topic: String, spool: String? = nil, compression: String = "none",
                       batch: Int = 64, logs: LogLines = LogLines()) throws -> KafkaOutput {
        try KafkaOutput(settings: .init(producer: .init(brokers: [cluster.bootstrap], compression: compression, timeout: 1),
                                        topic: topic, batchSize: batch, interval: 0.05,
                                        retry: .init(initial: 0.1, maximum: 0.5)),
                        spool: spool.map { .init(directory: $0, maxBytes: 1 << 24) }, log: logs.append)
    }

    static func field(_ name: String, _ line: [UInt8]) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        let parent = name == "dataset" ? object?["event"] : object?["network"]
        return (parent as? [String: Any])?[name] as? String
    }

    static func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test func eventsLandOnTheirDatasetTopicKeyedByCommunityID() throws {
        try #require(KafkaMockCluster.isInstalled, "librdkafka-dev and kcat missing: apt-get install librdkafka-dev kcat")
        let all = try Self.lines()
        let datasets = Set(all.map { Self.field("dataset", $0) ?? "unknown" })
        #expect(datasets.isSuperset(of: ["http", "dns", "redis", "icmp", "flow"]), "\(datasets)")
        let cluster = try KafkaMockCluster(partitions: 4, topics: datasets.map { "dpdkscope-" + $0 })
        let output = try Self.output(cluster, topic: "dpdkscope-{dataset}", compression: "lz4")
        output.start()
        output.enqueue(lines: all)
        output.close(timeout: 10)
        #expect(output.exporter.counters.snapshot.sent == UInt64(all.count))
        #expect(output.exporter.counters.snapshot.dropped == 0)
        var received = 0
        for dataset in datasets {
            let sent = all.filter { (Self.field("dataset", $0) ?? "unknown") == dataset }
            let sentKeys = sent.map { Self.field("community_id", $0) }
            let messages = try cluster.consume("dpdkscope-" + dataset)
            received += messages.count
            #expect(messages.count == sent.count, "\(dataset): \(messages.count) of \(sent.count)")
            #expect(messages.map(\.value).sorted() == sent.map { String(decoding: $0, as: UTF8.self) }.sorted())
            for message in messages {
                #expect(message.key == Self.field("community_id", Array(message.value.utf8)))
                #expect(message.key.hasPrefix("1:"))
            }
            // One partition per flow, its events in the order they were sent.
            for (key, group) in Dictionary(grouping: messages, by: \.key) {
                #expect(Set(group.map(\.partition)).count == 1, "\(key) spread over partitions")
                let order = zip(sent, sentKeys).filter { $0.1 == key }.map { String(decoding: $0.0, as: UTF8.self) }
                #expect(group.map(\.value) == order)
            }
        }
        #expect(received == all.count)
        // Flow events and the transactions of the same flow share a key, so a partition.
        let flows = try cluster.consume("dpdkscope-flow"), http = try cluster.consume("dpdkscope-http")
        #expect(!Set(flows.map(\.key)).isDisjoint(with: Set(http.map(\.key))))
        // Several partitions in use: the key, not a single partition, places them.
        #expect(Set(try cluster.consume("dpdkscope-dns").map(\.partition)).count > 1)
    }

    @Test func brokerDownThenUpEveryEventArrivesOnceInOrder() throws {
        try #require(KafkaMockCluster.isInstalled, "librdkafka-dev and kcat missing")
        let all = try Self.lines()
        let spool = NSTemporaryDirectory() + "kafka-spool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let cluster = try KafkaMockCluster(partitions: 3, topics: ["events"])
        let logs = LogLines()
        let output = try Self.output(cluster, topic: "events", spool: spool, batch: 16, logs: logs)
        output.start()
        let half = all.count / 2
        output.enqueue(lines: Array(all[..<half]))
        #expect(Self.waitUntil(20) { output.exporter.counters.snapshot.sent == UInt64(half) })
        cluster.down()
        output.enqueue(lines: Array(all[half...]))
        #expect(Self.waitUntil(20) { output.exporter.counters.snapshot.spooled > 0 }, "nothing spooled while down")
        let whileDown = output.exporter.counters.snapshot
        #expect(whileDown.sent == UInt64(half) && whileDown.retried > 0)
        cluster.up()
        #expect(Self.waitUntil(40) { output.exporter.counters.snapshot.sent == UInt64(all.count) })
        output.close(timeout: 5)
        let counts = output.exporter.counters.snapshot
        #expect(counts.sent == UInt64(all.count) && counts.dropped == 0)
        let messages = try cluster.consume("events")
        #expect(messages.count == all.count, "\(messages.count) of \(all.count): duplicates or losses")
        let texts = all.map { String(decoding: $0, as: UTF8.self) }
        let textKeys = all.map { Self.field("community_id", $0) ?? "" }
        #expect(messages.map(\.value).sorted() == texts.sorted())
        // Per partition, the order they were enqueued in.
        for partition in Set(messages.map(\.partition)) {
            let values = messages.filter { $0.partition == partition }.map(\.value)
            let keys = Set(messages.filter { $0.partition == partition }.map(\.key))
            #expect(values == zip(texts, textKeys).filter { keys.contains($0.1) }.map(\.0))
        }
        #expect(logs.all.filter { $0.contains("retrying with back-off") }.count == 1, "\(logs.all)")
        #expect(logs.all.contains { $0.contains("backend answering again") })
    }

    @Test func whatIsLeftAtCloseIsSentByTheNextStart() throws {
        try #require(KafkaMockCluster.isInstalled, "librdkafka-dev and kcat missing")
        let all = try FixtureAnalysis.lines("http.pcap")
        let spool = NSTemporaryDirectory() + "kafka-spool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let cluster = try KafkaMockCluster(partitions: 2, topics: ["events"])
        cluster.down()
        let first = try Self.output(cluster, topic: "events", spool: spool)
        first.start()
        first.enqueue(lines: all)
        first.close(timeout: 0.5)
        #expect(first.exporter.counters.snapshot.sent == 0 && first.exporter.counters.snapshot.dropped == 0)
        cluster.up()
        let logs = LogLines()
        let second = try Self.output(cluster, topic: "events", spool: spool, logs: logs)
        #expect(logs.all.contains { $0.contains("\(all.count) records in the spool") }, "\(logs.all)")
        second.start()
        #expect(Self.waitUntil(30) { second.exporter.counters.snapshot.sent == UInt64(all.count) })
        second.close(timeout: 5)
        #expect(try cluster.consume("events").count == all.count)
    }

    @Test func settingsLibrdkafkaRefusesAreErrorsNamingTheProperty() {
        #expect(KafkaTransport.validate(.init(compression: "bogus"))?.contains("compression.type") == true)
        #expect(KafkaTransport.validate(.init(properties: ["no.such.property": "1"]))?.contains("no.such.property") == true)
        #expect(KafkaTransport.validate(.init(acks: "1", properties: ["linger.ms": "20"])) == nil)
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
            #expect(KafkaTransport.validate(.init(compression: codec)) == nil, "\(codec)")
        }
    }

    @Test func recordsKeepTopicKeyAndValueThroughTheSpoolFormat() {
        let line = Array(#"{"type":"http","event":{"dataset":"http"},"network":{"community_id":"1:abc="},"url":{"path":"/\"dataset\":\"x"}}"#.utf8)
        let record = KafkaRecord(json: line, topic: "dpdkscope-{dataset}")
        #expect(record.topic == "dpdkscope-http" && record.key == Array("1:abc=".utf8) && record.value == line)
        #expect(KafkaRecord(encoded: record.encoded) == record)
        #expect(KafkaRecord(encoded: [1]) == nil && KafkaRecord(encoded: [9, 0, 1, 2]) == nil)
        let bare = KafkaRecord(json: Array(#"{"event":{"dataset":"we ird/x"}}"#.utf8), topic: "t-{dataset}")
        #expect(bare.topic == "t-we_ird_x" && bare.key.isEmpty)
    }
}
