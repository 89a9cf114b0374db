import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `dpdkscope agent` with `attach.workers` over a 2-queue tap primary:
    /// queue 0 of both ports on one worker, queue 1 on the other, the
    /// kernel's symmetric RSS hash keeping each connection on one queue.
    /// Real curl and redis-cli.
    @Suite struct AgentWorkers {
        static let queues = ["--rxq", "2", "--txq", "2"]

        /// Every port and queue, rx (the default entry).
        static let oneEntry = """
              - direction: rx
            """

        /// One entry per queue, each with its own filter and snaplen. Each
        /// keeps both directions of its connections in one ring: entries
        /// split by port would let a loop see a response before its request
        /// (it polls one ring after the other).
        static let entryPerQueue = """
              - interfaces: ["0:0", "1:0"]
                direction: rx
                filter: tcp port 8080 or tcp port 6379
              - interfaces: ["0:1", "1:1"]
                direction: rx
                snaplen: 65535
            """

        static func configuration(_ bed: AgentBed, workers: Int = 2, captures: String = oneEntry,
                                  protocols: String = Integration.Agent.httpAndRedis, outputs: String,
                                  extra: String = "") -> String {
            """
            attach:
              file_prefix: \(bed.prefix)
              workers: \(workers)
            \(extra)
            captures:
            \(captures)
            protocols:
            \(protocols)
            outputs:
            \(outputs)
            """
        }

        /// The samples of one family in a plain GET of /metrics, summed
        /// over the series whose labels contain every `labels` text.
        static func metric(_ port: Int, _ name: String, _ labels: [String] = []) throws -> Double {
            let result = try Harness.run(["curl", "-s", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"], timeout: 10)
            var total = 0.0
            for line in result.stdout.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
                guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last.flatMap({ Double($0) })
                else { continue }
                total += value
            }
            return total
        }

        /// Polls `metric` until it reaches `target` (or `seconds` pass): its last value.
        static func waitForMetric(_ port: Int, _ name: String, _ labels: [String] = [], toReach target: Double,
                                  seconds: Double = 5) throws -> Double {
            let deadline = Date().addingTimeInterval(seconds)
            var seen = try metric(port, name, labels)
            while seen < target, Date() < deadline {
                usleep(100_000)
                seen = try metric(port, name, labels)
            }
            return seen
        }

        @Test func everyRequestReachesTheFileAndMetricsOnce() throws {
            try Harness.checkPrerequisites()
            let bed = try AgentBed(prefix: "it-agentw-count", testbed: Self.queues)
            defer { bed.stop() }
            let port = AgentBed.freePort()
            let events = bed.dir.file("events.ndjson")
            let config = try bed.writeConfiguration(Self.configuration(bed, captures: Self.entryPerQueue, outputs: """
                  file: { path: \(events), rotate_bytes: 16KiB, keep: 100 }
                  metrics: { address: 127.0.0.1, port: \(port) }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            #expect(agent.stderr.contains("workers w0@lcore") && agent.stderr.contains("w1@lcore"), "\(agent.stderr)")
            try bed.curl(40)
            try bed.redis(30)
            // Events reach the metrics within 50 ms, analyzer counters with
            // the once-a-second samples.
            var http = 0.0, redis = 0.0, analyzed = 0.0
            for _ in 0..<50 {
                http = try Self.metric(port, "dpdkscope_requests_total", ["protocol=\"http\""])
                redis = try Self.metric(port, "dpdkscope_requests_total", ["protocol=\"redis\"", "method=\"SET\""])
                analyzed = try Self.metric(port, "dpdkscope_analyzer_events_total", ["protocol=\"http\"", "counter=\"requests\""])
                if http >= 40 && redis >= 30 && analyzed >= 40 { break }
                usleep(200_000)
            }
            #expect(http == 40 && redis == 30, "\(agent.stderr)")
            #expect(analyzed == 40, "the workers' analyzer counters add up")
            // Both workers took packets (each counts on its first tuple),
            // and every request met its response on one worker.
            for queue in ["0", "1"] {
                let taken = try Self.metric(port, "dpdkscope_capture_dequeued_packets_total", ["queue=\"\(queue)\""])
                #expect(taken > 0, "worker of queue \(queue) took nothing")
            }
            #expect(try Self.metric(port, "dpdkscope_unmatched_total") == 0)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            let lines = try bed.events(events)
            #expect(lines.ofType("http").count == 40)
            #expect(lines.ofType("redis").filter { $0["method"] as? String == "SET" }.count == 30)
            // Rotation under two writers: several files, none past the limit.
            #expect(FileManager.default.fileExists(atPath: events + ".2"), "expected rotations")
            var index = 1
            while FileManager.default.fileExists(atPath: "\(events).\(index)") {
                let size = try FileManager.default.attributesOfItem(atPath: "\(events).\(index)")[.size] as? Int ?? 0
                #expect(size <= 16_384, "\(events).\(index) has \(size) bytes")
                index += 1
            }
        }

        @Test func sighupReachesEveryWorker() throws {
            try Harness.checkPrerequisites()
            let bed = try AgentBed(prefix: "it-agentw-hup", testbed: Self.queues)
            defer { bed.stop() }
            let before = bed.dir.file("before.ndjson"), after = bed.dir.file("after.ndjson")
            let httpOnly = Integration.Agent.httpAndRedis.replacingOccurrences(of: "redis: { ports: [6379] }",
                                                                               with: "redis: { enabled: false }")
            let config = try bed.writeConfiguration(Self.configuration(bed, protocols: httpOnly, outputs: """
                  file: { path: \(before) }
                  metrics: { enabled: false }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try bed.curl(10)
            try bed.redis(20)
            usleep(500_000)
            // Redis on, and events to a new file: both must hold on every worker.
            _ = try bed.writeConfiguration(Self.configuration(bed, outputs: """
                  file: { path: \(after) }
                  metrics: { enabled: false }
                """))
            agent.signal(SIGHUP)
            try bed.waitFor(agent, toSay: "configuration reloaded", seconds: 10)
            try bed.curl(10)
            try bed.redis(20)
            usleep(500_000)
            #expect(agent.isRunning)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            let old = try bed.events(before), new = try bed.events(after)
            #expect(old.ofType("http").count == 10 && old.ofType("redis").isEmpty)
            #expect(new.ofType("http").count == 10, "after the reload")
            #expect(new.ofType("redis").count == 20, "every worker analyzes redis after the reload")
            #expect(agent.stderr.components(separatedBy: "attached to pid").count == 2, "attached once: \(agent.stderr)")
        }

        @Test func primaryExitFlushesEveryWorkerAndExitsThree() throws {
            try Harness.checkPrerequisites()
            var bed = try AgentBed(prefix: "it-agentw-die", testbed: Self.queues)
            defer { bed.stop() }
            let events = bed.dir.file("events.ndjson"), dump = bed.dir.file("dump/live.pcapng")
            let config = try bed.writeConfiguration(Self.configuration(bed, outputs: """
                  file: { path: \(events) }
                  dumpfile: { enabled: true, path: \(dump) }
                  metrics: { enabled: false }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try bed.curl(24)
            usleep(500_000)
            bed.stopPrimary()
            #expect(agent.wait(timeout: 20) == 3, "\(agent.stderr)")
            #expect(try bed.events(events).ofType("http").count == 24)
            // One dumpfile per worker, each whole; together every request.
            let dumps = try FileManager.default.contentsOfDirectory(atPath: bed.dir.file("dump")).sorted()
            #expect(dumps.count == 2 && dumps[0].hasPrefix("live-w0") && dumps[1].hasPrefix("live-w1"), "\(dumps)")
            var requests = 0
            for name in dumps {
                try Oracle.expectClean(bed.dir.file("dump/" + name))
                let count = try Oracle.count(bed.dir.file("dump/" + name), filter: "http.request")
                #expect(count > 0, "\(name) holds no request")
                requests += count
            }
            #expect(requests == 24)
        }

        @Test func waitForPrimaryReattachesWithWorkers() throws {
            try Harness.checkPrerequisites()
            var bed = try AgentBed(prefix: "it-agentw-wait", testbed: Self.queues)
            defer { bed.stop() }
            let events = bed.dir.file("events.ndjson")
            // One worker polling one session per entry.
            let config = try bed.writeConfiguration(Self.configuration(bed, workers: 1, captures: Self.entryPerQueue, outputs: """
                  file: { path: \(events) }
                  metrics: { enabled: false }
                """, extra: "  wait_for_primary: true"))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try bed.curl(7)
            usleep(500_000)
            try bed.restartPrimary()
            let deadline = Date().addingTimeInterval(30)
            while agent.stderr.components(separatedBy: "attached to pid").count < 3, agent.isRunning, Date() < deadline {
                usleep(100_000)
            }
            #expect(agent.stderr.components(separatedBy: "attached to pid").count == 3, "\(agent.stderr)")
            #expect(agent.stderr.components(separatedBy: "workers w0@lcore").count == 3, "\(agent.stderr)")
            #expect(agent.stderr.contains(": 4 tuple(s)"), "one worker, both entries: \(agent.stderr)")
            usleep(500_000)
            try bed.curl(9)
            usleep(500_000)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            #expect(try bed.events(events).ofType("http").count == 16)
        }
    }
}
