import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `dpdkscope agent` on live traffic through the tap testbed: real curl
    /// and redis-cli against real servers, a real Prometheus scraping it.
    @Suite struct Agent {
        static let httpAndRedis = """
              http: { ports: [8080] }
              redis: { ports: [6379] }
              dns: { enabled: false }
              mysql: { enabled: false }
              pgsql: { enabled: false }
              memcache: { enabled: false }
              icmp: { enabled: false }
            """

        @Test func prometheusScrapesRequestCountsDuringLiveTraffic() throws {
            try Harness.checkPrerequisites()
            let bed = try AgentBed(prefix: "it-agent-prom")
            defer { bed.stop() }
            let port = AgentBed.freePort()
            let events = bed.dir.file("events.ndjson")
            let config = try bed.writeConfiguration(bed.configuration(protocols: Self.httpAndRedis, outputs: """
                  file: { path: \(events) }
                  metrics: { address: 127.0.0.1, port: \(port) }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            let prometheus = try PrometheusServer(scraping: "127.0.0.1:\(port)")
            defer { prometheus.stop() }
            try bed.curl(20)
            try bed.redis(30)
            // Scrapes run every second: wait until one saw everything.
            let http = try prometheus.waitFor("sum(dpdkscope_requests_total{protocol=\"http\"})", toEqual: 20)
            let redis = try prometheus.waitFor("sum(dpdkscope_requests_total{protocol=\"redis\",method=\"SET\"})", toEqual: 30)
            #expect(http == 20, "\(prometheus.log.suffix(2000))")
            #expect(redis == 30)
            // Its own wait: a scrape between an event's counter and its histogram sees one ahead of the other.
            let histogram = try prometheus.waitFor("sum(dpdkscope_request_duration_seconds_count{protocol=\"http\"})", toEqual: 20)
            #expect(histogram == 20)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            let lines = try bed.events(events)
            #expect(lines.ofType("http").count == 20)
            #expect(lines.ofType("redis").filter { $0["method"] as? String == "SET" }.count == 30)
            let mode = try FileManager.default.attributesOfItem(atPath: events)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }

        @Test func eventFilesRotateWithoutLosingAnEvent() throws {
            try Harness.checkPrerequisites()
            let bed = try AgentBed(prefix: "it-agent-rot")
            defer { bed.stop() }
            let events = bed.dir.file("out/events.ndjson")
            let config = try bed.writeConfiguration(bed.configuration(protocols: Self.httpAndRedis, outputs: """
                  file: { path: \(events), rotate_bytes: 8KiB, keep: 100 }
                  metrics: { enabled: false }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try bed.curl(60)
            try bed.redis(40)
            usleep(500_000)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            #expect(FileManager.default.fileExists(atPath: events + ".3"), "expected several rotations")
            #expect(!FileManager.default.fileExists(atPath: events + ".101"))
            var index = 1
            while FileManager.default.fileExists(atPath: "\(events).\(index)") {
                let size = try FileManager.default.attributesOfItem(atPath: "\(events).\(index)")[.size] as? Int ?? 0
                #expect(size <= 8192, "\(events).\(index) has \(size) bytes")
                index += 1
            }
            let lines = try bed.events(events)
            #expect(lines.ofType("http").count == 60)
            #expect(lines.ofType("redis").count == 40)
        }

        @Test func sighupAddsAProtocolWithoutStoppingTheCapture() throws {
            try Harness.checkPrerequisites()
            let bed = try AgentBed(prefix: "it-agent-hup")
            defer { bed.stop() }
            let events = bed.dir.file("events.ndjson")
            let outputs = """
                  file: { path: \(events) }
                  metrics: { enabled: false }
                """
            let httpOnly = Self.httpAndRedis.replacingOccurrences(of: "redis: { ports: [6379] }", with: "redis: { enabled: false }")
            let config = try bed.writeConfiguration(bed.configuration(protocols: httpOnly, outputs: outputs))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try bed.curl(5)
            try bed.redis(10)
            usleep(500_000)
            _ = try bed.writeConfiguration(bed.configuration(protocols: Self.httpAndRedis, outputs: outputs))
            agent.signal(SIGHUP)
            try bed.waitFor(agent, toSay: "configuration reloaded", seconds: 10)
            try bed.curl(5)
            try bed.redis(10)
            usleep(500_000)
            #expect(agent.isRunning)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            let lines = try bed.events(events)
            #expect(lines.ofType("http").count == 10, "both sides of the reload")
            #expect(lines.ofType("redis").count == 10, "only after the reload")
            #expect(agent.stderr.components(separatedBy: "attached to pid").count == 2, "attached once: \(agent.stderr)")
        }

        /// Reloads of the metrics settings (labels, off, on) keep the
        /// request counters: they went back to zero before, when every such
        /// reload made new metrics. Requests while metrics are off are not
        /// counted; nothing counted before is lost.
        @Test func sighupKeepsRequestCountersAcrossMetricsChanges() throws {
            try Harness.checkPrerequisites()
            let bed = try AgentBed(prefix: "it-agent-hupm")
            defer { bed.stop() }
            let port = AgentBed.freePort()
            func configuration(_ metrics: String) -> String {
                bed.configuration(protocols: Self.httpAndRedis,
                                  outputs: "  metrics: { address: 127.0.0.1, port: \(port)\(metrics) }")
            }
            func waitForHTTP(_ count: Double) throws -> Double {
                try AgentWorkers.waitForMetric(port, "dpdkscope_requests_total", [#"protocol="http""#], toReach: count)
            }
            let agent = try bed.startAgent(config: try bed.writeConfiguration(configuration("")))
            defer { agent.signal(SIGKILL) }
            try bed.curl(5)
            #expect(try waitForHTTP(5) == 5, "\(agent.stderr)")
            // Two requests after each reload: counted, counted, not (metrics off), counted.
            let steps: [(metrics: String, expected: Double?)] = [
                (", labels: [server], max_label_values: 10", 7), (", labels: [server, vlan]", 9),
                (", enabled: false", nil), ("", 11),
            ]
            for (index, step) in steps.enumerated() {
                _ = try bed.writeConfiguration(configuration(step.metrics))
                agent.signal(SIGHUP)
                let deadline = Date().addingTimeInterval(10)
                while agent.stderr.components(separatedBy: "configuration reloaded").count < index + 2, Date() < deadline {
                    usleep(100_000)
                }
                try bed.curl(2)
                guard let expected = step.expected else {
                    usleep(500_000)
                    continue
                }
                #expect(try waitForHTTP(expected) == expected, "after \(step.metrics): \(agent.stderr)")
            }
            #expect(agent.stderr.components(separatedBy: "configuration reloaded").count == steps.count + 1, "\(agent.stderr)")
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
        }

        @Test func primaryExitFlushesValidFilesAndExitsThree() throws {
            try Harness.checkPrerequisites()
            var bed = try AgentBed(prefix: "it-agent-die")
            defer { bed.stop() }
            let events = bed.dir.file("events.ndjson"), dump = bed.dir.file("dump.pcapng")
            let config = try bed.writeConfiguration(bed.configuration(protocols: Self.httpAndRedis, outputs: """
                  file: { path: \(events) }
                  dumpfile: { enabled: true, path: \(dump) }
                  metrics: { enabled: false }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try bed.curl(12)
            usleep(500_000)
            bed.stopPrimary()
            #expect(agent.wait(timeout: 20) == 3, "\(agent.stderr)")
            #expect(try bed.events(events).ofType("http").count == 12)
            let dumps = try FileManager.default.contentsOfDirectory(atPath: bed.dir.path).filter { $0.hasPrefix("dump") }
            #expect(dumps.count == 1, "\(dumps)")
            for name in dumps {
                try Oracle.expectClean(bed.dir.file(name))
                #expect(try Oracle.count(bed.dir.file(name), filter: "http.request") == 12)
            }
        }

        @Test func waitForPrimaryAttachesAndReattachesAfterARestart() throws {
            try Harness.checkPrerequisites()
            var bed = try AgentBed(prefix: "it-agent-wait")
            defer { bed.stop() }
            let events = bed.dir.file("events.ndjson")
            let config = try bed.writeConfiguration(bed.configuration(protocols: Self.httpAndRedis, outputs: """
                  file: { path: \(events) }
                  metrics: { enabled: false }
                """))
            bed.stopPrimary()
            let agent = try Subprocess([Harness.dpdkscope, "agent", "--config", config, "--wait-for-primary"])
            defer { agent.signal(SIGKILL) }
            try bed.waitFor(agent, toSay: "waiting for a DPDK primary", seconds: 10)
            try bed.restartPrimary()
            try bed.waitFor(agent, toSay: "attached to pid")
            usleep(500_000)
            try bed.curl(7)
            usleep(500_000)
            try bed.restartPrimary()
            // The first attach's message is in the same stderr: wait for a second one.
            let deadline = Date().addingTimeInterval(30)
            while agent.stderr.components(separatedBy: "attached to pid").count < 3, agent.isRunning, Date() < deadline {
                usleep(100_000)
            }
            #expect(agent.stderr.components(separatedBy: "attached to pid").count == 3, "\(agent.stderr)")
            usleep(500_000)
            try bed.curl(9)
            usleep(500_000)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            #expect(try bed.events(events).ofType("http").count == 16)
        }

        @Test func stdoutStreamsEventsAndTheDumpfileRotates() throws {
            try Harness.checkPrerequisites()
            let bed = try AgentBed(prefix: "it-agent-out")
            defer { bed.stop() }
            let dump = bed.dir.file("dump/live.pcapng")
            let config = try bed.writeConfiguration(bed.configuration(protocols: Self.httpAndRedis, outputs: """
                  stdout: { enabled: true, format: json }
                  file: { enabled: false }
                  dumpfile: { enabled: true, path: \(dump), rotate_bytes: 64KiB, keep: 2 }
                  metrics: { enabled: false }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }
            try bed.curl(30)
            usleep(500_000)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 15) == 0, "\(agent.stderr)")
            let events = try agent.stdout.split(separator: "\n").map { try jsonObject($0) }
            #expect(events.ofType("http").count == 30)
            // Ring buffer: the newest keep+1 files, Wireshark's naming, each whole.
            let files = try FileManager.default.contentsOfDirectory(atPath: bed.dir.file("dump")).sorted()
            #expect(files.count == 3, "\(files)")
            #expect(files.allSatisfy { $0.hasPrefix("live_") && $0.hasSuffix(".pcapng") }, "\(files)")
            for name in files { try Oracle.expectClean(bed.dir.file("dump/" + name)) }
        }

        @Test func checkConfigReportsEveryErrorWithItsPath() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let bad = dir.file("bad.yaml")
            try """
            captures:
              - filter: "tcp port"
                direction: sideways
            outputs:
              metrcs: { port: 9091 }
              file: { rotate_bytes: lots }
            """.write(toFile: bad, atomically: true, encoding: .utf8)
            let result = try Harness.dpdkscope(["agent", "--config", bad, "--check-config"])
            #expect(result.status == 2)
            for path in ["captures[0].filter", "captures[0].direction", "outputs.metrcs", "outputs.file.rotate_bytes"] {
                #expect(result.stderr.contains(path), "\(path) missing from: \(result.stderr)")
            }
            let reference = try Harness.dpdkscope(["config", "--reference"])
            #expect(reference.status == 0)
            let good = dir.file("reference.yaml")
            try reference.stdout.write(toFile: good, atomically: true, encoding: .utf8)
            let check = try Harness.dpdkscope(["agent", "--config", good, "--check-config"])
            #expect(check.status == 0, "\(check.stderr)")
        }
    }
}
