import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Issue 18's third item: under load, the dashboard and `--stats` keep
    /// their numbers exact, with no count lost between the workers and the
    /// display. The pacing primary (Tests/Fixtures/pacing-primary.c) sends
    /// the demo capture at a fixed rate, every loop under new addresses and
    /// on the next of two tx queues, so `watch --multi --workers 2` splits
    /// the load between two workers. The expected figures come from `read
    /// --analyze` on the file re-stamped at that rate (Scripts/lib/
    /// restamp.py), times the loops: every packet, every transaction, each
    /// protocol's count, in the JSON lines, the counters and the dashboard.
    @Suite struct WatchExactUnderLoad {
        static let demo = Harness.packageRoot + "/Scripts/data/demo.pcap"
        /// Well inside what the debug build CI runs takes with JSON output
        /// (about 15k packets/s on this 2-core machine, with both workers
        /// on one core): the point is exact counts while busy, not the
        /// highest rate (Scripts/bench-live.sh measures that).
        static let rate = 6_000
        static let seconds = 4
        /// Each worker's ring: 16,384 entries hold almost 3 s of this rate,
        /// so a worker the busy machine leaves unscheduled for a moment
        /// neither overflows nor sheds (exactness is the promise here).
        static let ring = "16384"

        @Test func statsCountEveryPacketAndTransactionAcrossWorkers() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let paced = try PacedLoad(dir: dir, file: Self.demo, rate: Self.rate, seconds: Self.seconds)
            let primary = try paced.startPrimary(prefix: Harness.prefix("it-exact-stats"))
            defer { primary.stop() }

            let watch = try Subprocess([Harness.dpdkscope, "watch", "--file-prefix", primary.prefix, "--tx", "--multi", "--ring-size", Self.ring,
                                        "--workers", "2", "--json", "--stats", "-a", "duration:\(Self.seconds + 6)"])
            try primary.startWhenAttached { watch.stderr.contains("Watching") }
            #expect(watch.wait(timeout: 60) == 0,
                    "\(watch.stderr.suffix(800))\nprimary: \(primary.process.stdout.suffix(800)) \(primary.process.stderr.suffix(800))")
            let stderr = watch.stderr
            #expect(stderr.contains("w0@lcore") && stderr.contains("w1@lcore"), "not two workers: \(stderr.prefix(400))")

            // Every packet reached the analyzers: none dropped, none shed.
            #expect(Self.number(stderr, after: "Packets captured: ") == paced.packets)
            #expect(stderr.contains("\(paced.packets)/0 (filtered 0, nombuf 0, ringfull 0"), "\(stderr.prefix(600))")
            #expect(Self.number(stderr, after: "analysis_shed_packets=") == 0)

            // Every transaction, once: the JSON lines, the summary, the counters.
            let lines = watch.stdout.split(separator: "\n")
            let byType = Dictionary(grouping: lines, by: { Self.field($0, "\"type\":\"") ?? "?" }).mapValues(\.count)
            #expect(lines.count == paced.transactions)
            #expect(Self.number(stderr, after: "Transactions: ") == paced.transactions)
            #expect(byType == paced.transactionsByType, "events \(byType) vs expected \(paced.transactionsByType)")
            for (type, count) in paced.transactionsByType {
                #expect(Self.number(stderr, after: "\n\(type)_transactions=") == count, "\(type)")
            }
        }

        /// The dashboard's running total reaches exactly what was sent (and
        /// stays there), and the summary on quitting says the same.
        @Test func dashboardTotalIsExactAcrossWorkers() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let paced = try PacedLoad(dir: dir, file: Self.demo, rate: Self.rate, seconds: Self.seconds)
            let primary = try paced.startPrimary(prefix: Harness.prefix("it-exact-dash"))
            defer { primary.stop() }

            let tmux = Tmux(socket: "dpdkscope-it-exact-\(getpid())")
            defer { tmux.killServer() }
            let session = try tmux.start(
                "\(Harness.dpdkscope) watch --file-prefix \(primary.prefix) --tx --multi --workers 2 --ring-size \(Self.ring)", in: dir)
            try primary.startWhenAttached { (try? tmux.capture())?.contains { $0.hasPrefix("capture ") } == true }

            var screen: [Substring] = []
            var totals: [Int] = []
            for _ in 0..<120 {
                usleep(250_000)
                screen = try tmux.capture()
                if let total = WatchDashboard.total(screen) { totals.append(total) }
                if primary.finished, totals.suffix(4).allSatisfy({ $0 == paced.transactions }), totals.count >= 4 { break }
            }
            let shown = screen.joined(separator: "\n")
            #expect(totals.last == paced.transactions, "\(shown)")
            #expect(totals == totals.sorted(), "the total went down: \(totals)")
            let (after, _) = try tmux.quit(session)
            #expect(after.contains { $0.hasPrefix("Transactions: \(paced.transactions)") }, "\(after.joined(separator: "\n"))")
        }

        static func number(_ text: String, after marker: String) -> Int? {
            guard let range = text.range(of: marker) else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }

        static func field(_ line: Substring, _ marker: String) -> String? {
            guard let range = line.range(of: marker) else { return nil }
            return String(line[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    /// One paced run's plan: the loops that fill `seconds` at `rate`, and
    /// what they hold (from `read --analyze` on the re-stamped file).
    struct PacedLoad {
        let file: String
        let rate: Int
        let loops: Int
        let packets: Int
        let transactions: Int
        let transactionsByType: [String: Int]
        let binary: String

        init(dir: ScratchDirectory, file: String, rate: Int, seconds: Int) throws {
            self.file = file
            self.rate = rate
            binary = dir.file("pacing-primary")
            try Harness.buildFixturePrimary("pacing-primary.c", into: binary)
            let restamped = dir.file("restamped.pcap")
            let restamp = try Harness.run(["python3", Harness.packageRoot + "/Scripts/lib/restamp.py", file, restamped, String(rate)])
            try #require(restamp.status == 0, "\(restamp.stderr)")
            let packetsPerLoop = try #require(Int(restamp.stdout.prefix { $0.isNumber }), "\(restamp.stdout)")
            let read = try Harness.dpdkscope(["read", "--analyze", "--json", restamped])
            try #require(read.status == 0, "\(read.stderr)")
            let perLoop = read.stdout.split(separator: "\n")
            let loops = max(1, rate * seconds / packetsPerLoop)
            self.loops = loops
            packets = loops * packetsPerLoop
            transactions = loops * perLoop.count
            transactionsByType = Dictionary(grouping: perLoop, by: { WatchExactUnderLoad.field($0, "\"type\":\"") ?? "?" })
                .mapValues { $0.count * loops }
        }

        /// The primary, waiting for the start file before it sends.
        func startPrimary(prefix: String) throws -> PacingPrimary {
            let start = "/tmp/\(prefix).start"
            unlink(start)
            let process = try Subprocess([binary, "-l", "0", "--no-pci", "--no-telemetry", "-m", "256", "--file-prefix", prefix,
                                          "--vdev", "net_null0", "--", file, String(rate), String(loops), start, "2"])
            let primary = PacingPrimary(process: process, prefix: prefix, startFile: start)
            for _ in 0..<100 where !process.stdout.contains("ready") { usleep(100_000) }
            if !process.stdout.contains("ready") { primary.stop() }
            try #require(process.stdout.contains("ready"), "pacing primary did not start: \(process.stdout) \(process.stderr)")
            return primary
        }
    }

    struct PacingPrimary {
        let process: Subprocess
        let prefix: String
        let startFile: String

        var finished: Bool { process.stdout.contains("pacing-primary: sent ") }

        /// Starts sending once `attached` says the capture runs, plus a
        /// second (its callbacks are enabled just after it says so).
        func startWhenAttached(_ attached: () -> Bool) throws {
            for _ in 0..<100 where !attached() { usleep(100_000) }
            try #require(attached(), "the capture did not attach")
            usleep(1_000_000)
            _ = FileManager.default.createFile(atPath: startFile, contents: nil)
        }

        func stop() {
            process.signal(SIGTERM)
            process.wait(timeout: 5)
            unlink(startFile)
            _ = try? Harness.run(["sh", "-c", "rm -f /dev/hugepages/\(prefix)map_*"])
            try? FileManager.default.removeItem(atPath: "/var/run/dpdk/\(prefix)")
        }
    }
}
