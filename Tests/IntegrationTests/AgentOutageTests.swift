import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The issue's outage test for OTLP and remote-write: one agent on live
    /// traffic through the tap testbed (curl in a loop, the whole run long)
    /// exports spans and log records to the official-schema OTLP receiver
    /// and its /metrics series to a real VictoriaMetrics; both receivers go
    /// down together for DPDKSCOPE_OUTAGE_SECONDS (60 by default, the
    /// issue's figure; CI runs it: the test costs about 2 minutes, one
    /// outage serving both outputs) and come back. Everything sent before,
    /// during and after arrives: every event of the file output once as a
    /// span/log record (a request the receiver read just as it was killed
    /// is sent again, so duplicates are counted and bounded, not forbidden),
    /// every remote-write sample exactly once (VictoriaMetrics keeps
    /// duplicates, so they would show); the sent, retried and spooled
    /// counters agree with what the receivers hold and the back-off
    /// schedule; the agent's memory stays flat while the spool takes the
    /// backlog.
    @Suite struct AgentOutage {
        static var outageSeconds: Double {
            ProcessInfo.processInfo.environment["DPDKSCOPE_OUTAGE_SECONDS"].flatMap(Double.init) ?? 60
        }

        @Test func otlpAndRemoteWriteDeliverEverythingThroughAReceiverOutage() throws {
            try Harness.checkPrerequisites()
            try #require(OTLPReceiver.isInstalled, "opentelemetry-proto missing: run Scripts/setup.sh")
            try #require(VictoriaMetricsServer.isInstalled, "victoria-metrics missing: run Scripts/setup.sh")
            let bed = try AgentBed(prefix: Harness.prefix("it-agent-outage"))
            defer { bed.stop() }
            let receiver = try OTLPReceiver()
            let vm = try VictoriaMetricsServer()
            defer { vm.remove() }
            let events = bed.dir.file("events.ndjson"), spool = bed.dir.file("spool")
            let metricsPort = AgentBed.freePort()
            let batch = 16, timeout = 1.0, pushInterval = 1.0
            let config = try bed.writeConfiguration(bed.configuration(protocols: Agent.httpAndRedis, outputs: """
                  file: { path: \(events) }
                  metrics: { address: 127.0.0.1, port: \(metricsPort) }
                  otlp: { enabled: true, endpoint: "\(receiver.endpoint)", batch_size: \(batch), interval: 200ms, timeout: 1s }
                  remote_write: { enabled: true, url: "\(vm.writeURL)", interval: 1s, timeout: 1s,
                                  external_labels: { host: outage-host } }
                  spool: { path: \(spool), max_bytes: 64MiB }
                """))
            let agent = try bed.startAgent(config: config)
            defer { agent.signal(SIGKILL) }

            // Steady load: five GETs on one connection every 0.2 s until told to stop.
            let stopLoad = bed.dir.file("stop-load")
            let url = "http://\(bed.addressB):8080/testbed.sh"
            let load = try Subprocess(["ip", "netns", "exec", bed.a, "sh", "-c",
                                       "while [ ! -e \(stopLoad) ]; do curl -s \(Array(repeating: url, count: 5).joined(separator: " ")) >/dev/null; sleep 0.2; done"])
            defer { load.signal(SIGKILL) }
            usleep(8_000_000)
            let rssBefore = Self.residentKiB(agent.pid)
            #expect(!receiver.items("/v1/traces").isEmpty, "nothing reached the receiver before the outage: \(agent.stderr)")

            // Down.
            receiver.stop()
            vm.stop()
            let stoppedAt = Date()
            let linesAtStop = Self.lineCount(events)
            let tracesBefore = receiver.uniqueItems("/v1/traces").count, logsBefore = receiver.uniqueItems("/v1/logs").count
            var rssDuring: [Int] = [], spoolBytes: [Int] = []
            var sentEarly: [String: Double] = [:]
            while Date().timeIntervalSince(stoppedAt) < Self.outageSeconds {
                usleep(UInt32(min(5, max(0.1, Self.outageSeconds - Date().timeIntervalSince(stoppedAt))) * 1_000_000))
                rssDuring.append(Self.residentKiB(agent.pid))
                spoolBytes.append(Self.directoryBytes(spool))
                // A few seconds in, whatever was in flight has settled: from then on nothing is sent.
                if sentEarly.isEmpty && Date().timeIntervalSince(stoppedAt) >= min(5, Self.outageSeconds / 2) {
                    sentEarly = try Self.outputCounters(port: metricsPort, "sent")
                }
            }
            let during = try Self.outputCounters(port: metricsPort, "sent")
            let spooledDuring = try Self.outputCounters(port: metricsPort, "spooled")
            let linesAtRestart = Self.lineCount(events)

            // Up again.
            try vm.start()
            let vmOutage = Date().timeIntervalSince(stoppedAt)
            try receiver.start()
            let outage = Date().timeIntervalSince(stoppedAt)
            let restartedAt = Date()
            usleep(5_000_000)
            try "".write(toFile: stopLoad, atomically: true, encoding: .utf8)
            #expect(load.wait(timeout: 30) == 0, "\(load.stderr)")
            // The back-off (at most 30 s) decides when each output tries again.
            let drained = Date().addingTimeInterval(60)
            while Date() < drained
                && ["otlp_traces", "otlp_logs", "remote_write"].contains(where: { Self.directoryBytes(spool + "/" + $0) > 0 }) {
                usleep(500_000)
            }
            usleep(2_000_000)
            agent.signal(SIGTERM)
            #expect(agent.wait(timeout: 30) == 0, "\(agent.stderr)")
            let counts = Self.exitCounters(agent.stderr)
            let lines = try bed.events(events)
            let transactions = lines.filter { $0["type"] as? String != "flow" }

            // Nothing sent while the receivers were down; the spool took it, within its bound.
            #expect(!sentEarly.isEmpty && sentEarly == during, "sent moved during the outage: \(sentEarly) → \(during)")
            for name in ["otlp_traces", "otlp_logs", "remote_write"] {
                #expect((spooledDuring[name] ?? 0) > 0, "\(name) spooled nothing: \(spooledDuring)")
            }
            #expect(spoolBytes.max() ?? 0 > 0 && spoolBytes.max() ?? 0 <= 3 * 64 << 20, "\(spoolBytes)")
            #expect(linesAtRestart - linesAtStop >= Int(Self.outageSeconds), "load too light: \(linesAtStop) → \(linesAtRestart)")

            // OTLP: every event once, in the file's order; duplicates only from a request cut by the kill.
            #expect(receiver.decodeErrors.isEmpty, "\(receiver.decodeErrors)")
            let spans = receiver.uniqueItems("/v1/traces"), logs = receiver.uniqueItems("/v1/logs")
            #expect(spans.count == transactions.count && logs.count == lines.count,
                    "\(spans.count) spans for \(transactions.count) transactions, \(logs.count) logs for \(lines.count) events")
            #expect(spans.map { attributes($0)["network.protocol.name"] ?? "" }
                    == transactions.map { $0["type"] as? String ?? "" })
            #expect(logs.map { $0["timeUnixNano"] as? String ?? "" } == lines.map(Self.timeUnixNano))
            let duplicates = (receiver.items("/v1/traces").count - spans.count, receiver.items("/v1/logs").count - logs.count)
            #expect(duplicates.0 <= batch && duplicates.1 <= batch, "duplicates \(duplicates)")
            for (name, total, before) in [("otlp_traces", transactions.count, tracesBefore), ("otlp_logs", lines.count, logsBefore)] {
                let count = try #require(counts[name], "no exit summary for \(name): \(agent.stderr)")
                #expect(count.sent == UInt64(total) && count.dropped == 0, "\(name): \(count)")
                // Everything written during the outage waited in the spool; nothing the receiver had before did.
                #expect(count.spooled >= UInt64(max(0, linesAtRestart - linesAtStop - batch))
                        && count.spooled <= UInt64(total - min(total, before) + batch),  // + a batch whose answer the kill cut
                        "\(name): \(count), \(linesAtStop)…\(linesAtRestart)")
                let retries = Self.expectedRetries(outage: outage, firstFailureLag: 0.2 + timeout, attempt: timeout)
                #expect(retries.contains(Int(count.retried)), "\(name): retried \(count.retried), expected \(retries) for \(outage) s")
            }

            // Remote-write: every sample exactly once, none missing across the outage.
            let series = try vm.export(#"{host="outage-host"}"#)
            let rw = try #require(counts["remote_write"], "no exit summary for remote_write: \(agent.stderr)")
            let samples = series.reduce(0) { $0 + $1.timestamps.count }
            #expect(rw.sent == UInt64(samples) && rw.dropped == 0, "\(rw), VictoriaMetrics holds \(samples)")
            for one in series { #expect(Set(one.timestamps).count == one.timestamps.count, "duplicate samples in \(one.labels)") }
            let http = series.filter { $0.labels["__name__"] == "dpdkscope_requests_total" && $0.labels["protocol"] == "http" }
            let stamps = Set(http.flatMap(\.timestamps)).sorted()
            let gaps = zip(stamps, stamps.dropFirst()).map { Double($1 - $0) / 1000 }
            #expect((gaps.max() ?? 99) < pushInterval * 2 + 1, "a hole in the pushes: \(gaps.max() ?? -1) s")
            let stopMs = Int64(stoppedAt.timeIntervalSince1970 * 1000), restartMs = Int64(restartedAt.timeIntervalSince1970 * 1000)
            let pushedDuring = stamps.filter { $0 > stopMs && $0 < restartMs - 2000 }.count
            #expect(Double(pushedDuring) >= (vmOutage - 4) / pushInterval, "\(pushedDuring) pushes during \(outage) s")
            let lastTotal = http.map { $0.values.last ?? 0 }.reduce(0, +)
            #expect(Int(lastTotal) == lines.filter { $0["type"] as? String == "http" }.count, "\(lastTotal)")
            let seriesPerPush = Double(samples) / Double(max(1, stamps.count))
            #expect(Double(rw.spooled) >= Double(pushedDuring) * seriesPerPush * 0.9 && rw.spooled <= rw.sent, "\(rw)")
            let rwRetries = Self.expectedRetries(outage: vmOutage, firstFailureLag: pushInterval + timeout, attempt: timeout)
            #expect(rwRetries.contains(Int(rw.retried)), "remote_write retried \(rw.retried), expected \(rwRetries)")

            // Memory: the backlog went to disk, not to the heap.
            let growth = (rssDuring.max() ?? 0) - rssBefore
            print("outage \(Int(outage)) s: \(lines.count) events (\(linesAtRestart - linesAtStop) during); "
                  + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
                  + "; duplicates \(duplicates); \(samples) samples in \(series.count) series, \(pushedDuring) pushes during;"
                  + " retries expected \(Self.expectedRetries(outage: outage, firstFailureLag: 0.2 + timeout, attempt: timeout)) /"
                  + " \(rwRetries); RSS \(rssBefore) KiB before, +\(growth) KiB at most; spool at most \(spoolBytes.max() ?? 0) bytes")
            #expect(rssBefore > 0 && growth < 32 * 1024, "RSS \(rssBefore) KiB before, \(rssDuring) during")
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/otlp_traces").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: spool + "/remote_write").isEmpty)
        }

        /// Failed attempts an output makes while its receiver is down for
        /// `outage` seconds, with the default back-off (1 s doubling to
        /// 30 s): the fewest when the first failure comes `firstFailureLag`
        /// late and each attempt waits `attempt` seconds for a connection,
        /// the most when both take no time.
        static func expectedRetries(outage: Double, firstFailureLag: Double, attempt: Double) -> ClosedRange<Int> {
            func count(window: Double, start: Double, each: Double) -> Int {
                var time = start, failures = 0
                while time < window {
                    failures += 1
                    time += each + min(30, pow(2, Double(failures - 1)))
                }
                return failures
            }
            return count(window: outage - 1, start: firstFailureLag, each: attempt)...count(window: outage + 1, start: 0, each: 0)
        }

        /// The OTLP log record's time: the event's @timestamp in nanoseconds.
        static func timeUnixNano(_ event: [String: Any]) -> String {
            guard let text = event["@timestamp"] as? String else { return "" }
            let whole = String(text.prefix(19)) + "Z"
            guard let date = ISO8601DateFormatter().date(from: whole) else { return "" }
            let fraction = text.dropFirst(20).prefix { $0.isNumber }
            let nanos = Int64((fraction + String(repeating: "0", count: 9)).prefix(9)) ?? 0
            return String(Int64(date.timeIntervalSince1970) * 1_000_000_000 + nanos)
        }

        struct Counts: CustomStringConvertible {
            var sent: UInt64 = 0, retried: UInt64 = 0, spooled: UInt64 = 0, dropped: UInt64 = 0
            var description: String { "sent \(sent), retried \(retried), spooled \(spooled), dropped \(dropped)" }
        }

        /// "output NAME: sent A, retried B, spooled C, dropped D" lines of the agent's exit.
        static func exitCounters(_ stderr: String) -> [String: Counts] {
            var result: [String: Counts] = [:]
            for line in stderr.split(separator: "\n") {
                guard let range = line.range(of: "dpdkscope agent: output ") else { continue }
                let rest = line[range.upperBound...]
                guard let colon = rest.firstIndex(of: ":") else { continue }
                let numbers = rest[colon...].split(whereSeparator: { !$0.isNumber }).compactMap { UInt64($0) }
                guard numbers.count == 4 else { continue }
                result[String(rest[..<colon])] = Counts(sent: numbers[0], retried: numbers[1], spooled: numbers[2], dropped: numbers[3])
            }
            return result
        }

        /// dpdkscope_output_<kind>_total by output, from /metrics.
        static func outputCounters(port: Int, _ kind: String) throws -> [String: Double] {
            let text = try Harness.run(["curl", "-s", "http://127.0.0.1:\(port)/metrics"]).stdout
            var result: [String: Double] = [:]
            let prefix = "dpdkscope_output_\(kind)_total{output=\""
            for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
                let rest = line.dropFirst(prefix.count)
                guard let quote = rest.firstIndex(of: "\""), let value = rest.split(separator: " ").last.flatMap({ Double($0) })
                else { continue }
                result[String(rest[..<quote])] = value
            }
            return result
        }

        static func residentKiB(_ pid: pid_t) -> Int {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
            return Int(line.split(separator: " ")[1]) ?? 0
        }

        static func lineCount(_ path: String) -> Int {
            ((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }

        static func directoryBytes(_ path: String) -> Int {
            guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
            var total = 0
            for case let name as String in walker {
                let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
                if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int) ?? 0 }
            }
            return total
        }
    }
}
