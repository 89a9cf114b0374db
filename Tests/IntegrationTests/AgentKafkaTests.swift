import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The agent's Kafka output on live traffic through the tap testbed,
    /// into librdkafka's mock cluster (its own process), read back by kcat:
    /// a topic per dataset, keys = Community ID, and the brokers down for a
    /// while mid-run: every event of the file output arrives once, in order
    /// per partition.
    @Suite struct AgentKafka {
        @Test func everyEventReachesKafkaOnceThroughABrokerOutage() throws {
            try Harness.checkPrerequisites()
            try #require(KafkaMockCluster.isInstalled, "librdkafka-dev or kcat missing: run Scripts/setup.sh")
            let bed = try AgentBed(prefix: Harness.prefix("it-agent-kafka"))
            defer { bed.stop() }
            let topics = ["dpdkscope-http", "dpdkscope-redis", "dpdkscope-flow"]
            let cluster = try KafkaMockCluster(partitions: 3, topics: topics)
            let events = bed.dir.file("events.ndjson"), spool = bed.dir.file("spool")
            let metricsPort = AgentBed.freePort()
            let config = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis, outputs: """
                  file: { path: \(events) }
                  metrics: { address: 127.0.0.1, port: \(metricsPort) }
                  kafka: { enabled: true, brokers: ["\(cluster.bootstrap)"], topic: "dpdkscope-{dataset}", compression: snappy,
                           batch_size: 8, interval: 100ms, timeout: 1s, properties: { linger.ms: 1 } }
                  spool: { path: \(spool), max_bytes: 16MiB }
                """, extra: "flows: { enabled: true }"))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            #expect(agent.stderr.contains("Kafka to \(cluster.bootstrap) topic dpdkscope-{dataset}"), "\(agent.stderr)")
            try bed.curl(5)
            try bed.redis(5)
            usleep(2_000_000)

            // A second agent on the same spool is refused: one line, exit 6.
            let second = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis, outputs: """
                  file: { path: \(bed.dir.file("second.ndjson")) }
                  metrics: { enabled: false }
                  kafka: { enabled: true, brokers: ["\(cluster.bootstrap)"] }
                  spool: { path: \(spool) }
                """), name: "second.yaml")
            let refused = try Harness.run([Harness.dpdkscope, "agent", "--config", second], timeout: 60)
            #expect(refused.status == 6, "\(refused.status): \(refused.stderr)")
            #expect(refused.stderr.contains("dpdkscope: outputs.spool: spool \(spool)/kafka is in use by another process"),
                    "\(refused.stderr)")

            cluster.down()
            try bed.curl(5)
            try bed.redis(5)
            usleep(4_000_000)
            let during = try Harness.run(["curl", "-s", "http://127.0.0.1:\(metricsPort)/metrics"]).stdout
            #expect(during.contains(#"dpdkscope_output_spooled_total{output="kafka"}"#), "\(during.suffix(800))")
            #expect(!during.contains(#"dpdkscope_output_retried_total{output="kafka"} 0"#))
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/kafka").count > 0)
            cluster.up()
            // The spool drains at the exporter's next retry, whose back-off
            // has grown through the outage (1, 2, 4, 8 s …): wait for it to
            // drain rather than a fixed time, which raced that back-off.
            let drained = Date().addingTimeInterval(45)
            while Date() < drained, try FileManager.default.contentsOfDirectory(atPath: spool + "/kafka").contains(where: { $0.hasSuffix(".batch") }) {
                usleep(200_000)
            }
            usleep(500_000)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 30) == 0, "\(agent.stderr)")

            let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.filter { $0.contains(#""dataset":"http""#) }.count == 10)
            #expect(lines.filter { $0.contains(#""dataset":"redis""#) }.count == 10)
            var received: [KafkaMockCluster.Message] = []
            for topic in topics { received += try cluster.consume(topic) }
            #expect(received.count == lines.count, "\(received.count) messages for \(lines.count) events")
            #expect(received.map(\.value).sorted() == lines.sorted())
            for message in received {
                let dataset = message.topic.dropFirst("dpdkscope-".count)
                #expect(message.value.contains(#""dataset":"\#(dataset)""#))
                #expect(message.value.contains(#""community_id":"\#(message.key)""#) && message.key.hasPrefix("1:"))
            }
            // Per topic and partition, the file's order.
            for topic in topics {
                let messages = received.filter { $0.topic == topic }
                for partition in Set(messages.map(\.partition)) {
                    let here = messages.filter { $0.partition == partition }
                    let keys = Set(here.map(\.key))
                    let expected = lines.filter { line in
                        line.contains(#""dataset":"\#(topic.dropFirst("dpdkscope-".count))""#)
                            && keys.contains { line.contains(#""community_id":"\#($0)""#) }
                    }
                    #expect(here.map(\.value) == expected, "\(topic)[\(partition)]")
                }
            }
            #expect(agent.stderr.contains("output kafka: sent \(lines.count),"), "\(agent.stderr)")
            #expect(agent.stderr.contains("dropped 0"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/kafka").isEmpty)
        }

        /// SIGHUP applies export changes: a new Kafka topic takes the next
        /// events, and new metrics (a new port) show the outputs' counters
        /// (before, the exports kept the metrics of the start), counting on
        /// from the old output's: 3 before the reload and 4 after make 7
        /// (before, they went back to zero, a counter restart to rate()).
        @Test func reloadAppliesKafkaAndMetricsChanges() throws {
            try Harness.checkPrerequisites()
            try #require(KafkaMockCluster.isInstalled, "librdkafka-dev or kcat missing: run Scripts/setup.sh")
            let bed = try AgentBed(prefix: Harness.prefix("it-agent-kafka-hup"))
            defer { bed.stop() }
            let cluster = try KafkaMockCluster(partitions: 2, topics: ["before", "after"])
            let events = bed.dir.file("events.ndjson"), spool = bed.dir.file("spool")
            let firstPort = AgentBed.freePort(), secondPort = AgentBed.freePort()
            func outputs(topic: String, port: Int, kafka: Bool = true) -> String {
                """
                  file: { path: \(events) }
                  metrics: { address: 127.0.0.1, port: \(port) }
                  kafka: { enabled: \(kafka), brokers: ["\(cluster.bootstrap)"], topic: \(topic), batch_size: 4, interval: 100ms, timeout: 2s }
                  spool: { path: \(spool) }
                """
            }
            let config = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis,
                                                                      outputs: outputs(topic: "before", port: firstPort)))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            /// Kafka messages sent, once `port` shows `count` (15 s at most): delivery, not a guess at its time.
            func sent(port: Int, reaching count: Double) throws -> Double {
                try AgentWorkers.waitForMetric(port, "dpdkscope_output_sent_total", [#"output="kafka""#],
                                               toReach: count, seconds: 15)
            }
            try bed.curl(3)
            _ = try sent(port: firstPort, reaching: 3)
            _ = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis,
                                                             outputs: outputs(topic: "after", port: secondPort)))
            agent.signal(SIGHUP)
            try bed.waitFor(agent, toSay: "configuration reloaded", seconds: 15)
            #expect(!agent.stderr.contains("take effect after a restart"), "\(agent.stderr)")
            try bed.redis(4)
            #expect(try sent(port: secondPort, reaching: 7) == 7, "\(agent.stderr)")
            // Kafka taken out by a reload, then configured again: the exit
            // summary counts on from the 7 (it said 0 when counters restarted).
            for kafka in [false, true] {
                let reloads = agent.stderr.components(separatedBy: "configuration reloaded").count
                _ = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis,
                                                                 outputs: outputs(topic: "after", port: secondPort, kafka: kafka)))
                agent.signal(SIGHUP)
                let deadline = Date().addingTimeInterval(15)
                while agent.stderr.components(separatedBy: "configuration reloaded").count == reloads, Date() < deadline {
                    usleep(100_000)
                }
            }
            #expect(agent.stderr.components(separatedBy: "configuration reloaded").count == 4, "\(agent.stderr)")
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 30) == 0, "\(agent.stderr)")
            #expect(agent.stderr.contains("output kafka: sent 7,"), "\(agent.stderr)")
            let before = try cluster.consume("before"), after = try cluster.consume("after")
            #expect(before.count == 3 && before.allSatisfy { $0.value.contains(#""dataset":"http""#) }, "\(before.count)")
            #expect(after.count == 4 && after.allSatisfy { $0.value.contains(#""dataset":"redis""#) }, "\(after.count)")
            let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 7)
        }
    }
}
