import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `dpdkscope read` needs no DPDK: only the binary and tshark as the oracle.
@Suite(.enabled(if: access(Harness.dpdkscope, X_OK) == 0 && access("/usr/bin/tshark", X_OK) == 0,
                "dpdkscope is not built or tshark is missing"))
struct ReadCommandTests {
    let demo = Harness.packageRoot + "/Scripts/data/demo.pcap"

    /// The same input gives the same bytes: flow ids come from the flows,
    /// and the flows open at the end come out by start time, then Community ID.
    @Test func flowOutputIsTheSameOnEveryRun() throws {
        let first = try Harness.dpdkscope(["read", demo, "--flows", "--json"])
        let second = try Harness.dpdkscope(["read", demo, "--flows", "--json"])
        #expect(first.status == 0 && !first.stdout.isEmpty)
        #expect(first.stdout == second.stdout)
        let text = try Harness.dpdkscope(["read", demo, "--flows"])
        #expect(text.stdout == (try Harness.dpdkscope(["read", demo, "--flows"])).stdout)
    }

    @Test func packetsFlowsAndCountersAgreeWithTshark() throws {
        let packets = try Harness.dpdkscope(["read", demo])
        #expect(packets.status == 0, "\(packets.stderr)")
        #expect(packets.stdout.split(separator: "\n").count == (try Oracle.count(demo)))

        // One final flow event per conversation tshark sees.
        let flows = try Harness.dpdkscope(["read", demo, "--flows", "--json"])
        let events = try flows.stdout.split(separator: "\n").map { try jsonObject($0) }
        let finals = events.filter { ($0["flow"] as? [String: Any])?["final"] as? Bool == true }
        let tcp = finals.filter { ($0["network"] as? [String: Any])?["transport"] as? String == "tcp" }
        let udp = finals.filter { ($0["network"] as? [String: Any])?["transport"] as? String == "udp" }
        let conversations = { (proto: String) throws -> Int in
            try Harness.run(["tshark", "-r", demo, "-q", "-z", "conv,\(proto)"]).stdout.components(separatedBy: "<->").count - 1
        }
        #expect(tcp.count == (try conversations("tcp")))
        #expect(udp.count == (try conversations("udp")))
        let http = try #require(tcp.first)
        let bytes = ((http["source"] as? [String: Any])?["bytes"] as? Int ?? 0) + ((http["destination"] as? [String: Any])?["bytes"] as? Int ?? 0)
        #expect(bytes > 0)
        #expect(((http["network"] as? [String: Any])?["community_id"] as? String)?.hasPrefix("1:") == true)

        let stats = try Harness.dpdkscope(["read", demo, "--stats", "--json", "-f", "udp port 53"])
        let last = try jsonObject(try #require(stats.stdout.split(separator: "\n").last))
        #expect(last["type"] as? String == "stats")
        #expect(last["udp"] as? Int == (try Oracle.count(demo, filter: "udp.port == 53")))
        #expect(last["filtered_out"] as? Int == (try Oracle.count(demo)) - (try Oracle.count(demo, filter: "udp.port == 53")))
        #expect(last["malformed"] as? Int == 0)
    }

    @Test func badInputIsOneLineAndExitTwo() throws {
        let missing = try Harness.dpdkscope(["read", "/nonexistent.pcap"])
        #expect(missing.status == 2 && missing.stderrLines.count == 1, "\(missing.stderr)")
        let filter = try Harness.dpdkscope(["read", demo, "-f", "tcp port x"])
        #expect(filter.status == 2 && filter.stderr.contains("invalid filter"), "\(filter.stderr)")
        let garbage = "/tmp/dpdkscope-garbage-\(getpid()).pcap"
        _ = FileManager.default.createFile(atPath: garbage, contents: Data("not a capture file at all".utf8))
        defer { unlink(garbage) }
        let notCapture = try Harness.dpdkscope(["read", garbage])
        #expect(notCapture.status != 0 && notCapture.stderrLines.count == 1, "\(notCapture.stderr)")
        #expect(!notCapture.stderr.contains("crashed"))
    }
}
