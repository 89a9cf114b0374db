import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `watch` when the primary outruns the analyzers: the pcap testbed
    /// replays the demo capture at full rate (several Mpps, far beyond what
    /// the analyzers take on one core). Analysis must shed whole flows and
    /// keep the capture going instead of letting the ring overflow, as the
    /// inline analysis did before (21 % of the capture-only rate).
    @Suite struct WatchOverload {
        @Test func analysisShedsFlowsRatherThanThrottlingTheCapture() throws {
            try Harness.checkPrerequisites()
            let testbed = try Testbed.start("pcap", prefix: "it-watch-overload")
            defer { testbed.stop() }
            let seconds = 4.0
            let capture = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "net_pcap0", "--rx",
                                                 "-w", "/dev/null", "-a", "duration:\(Int(seconds))", "-q", "--json-summary"])
            #expect(capture.status == 0, "\(capture.stderr)")
            let summary = try jsonObject(Substring(capture.stderr.split(separator: "\n").last ?? ""))
            let captured = try #require(summary["packets_written"] as? Int)

            let watch = try Subprocess([Harness.dpdkscope, "watch", "--file-prefix", testbed.prefix, "-i", "net_pcap0",
                                        "--json", "--stats", "-a", "duration:\(Int(seconds))"])
            #expect(watch.wait(timeout: 30) == 0, "\(watch.stderr)")
            let stderr = watch.stderr
            let watched = Int(field(stderr, before: "Packets captured: ", upTo: " ") ?? "") ?? 0
            let shed = Int(field(stderr, before: "analysis_shed_packets=", upTo: "\n") ?? "") ?? -1
            let transactions = Int(field(stderr, before: "Transactions: ", upTo: "\n") ?? "") ?? 0

            #expect(shed > 0, "the analyzers kept up with a full-rate replay? \(stderr)")
            #expect(shed < watched, "nothing analysed at all: \(stderr)")
            #expect(transactions > 0)
            // Inline analysis without shedding kept 21 % of the capture-only
            // rate here; shedding keeps most of it (bench-live.sh measures).
            #expect(Double(watched) >= 0.5 * Double(captured), "watch \(watched) vs capture \(captured) packets")
            // What was analysed came out whole: every line one JSON object.
            let lines = watch.stdout.split(separator: "\n")
            #expect(lines.count == transactions)
            #expect(lines.allSatisfy { $0.first == "{" && $0.last == "}" })
            for line in lines.prefix(2000) { _ = try jsonObject(line) }
        }

        private func field(_ text: String, before marker: String, upTo end: Character) -> String? {
            guard let range = text.range(of: marker) else { return nil }
            return String(text[range.upperBound...].prefix { $0 != end })
        }
    }
}
