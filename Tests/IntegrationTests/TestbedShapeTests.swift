import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The other testbed shapes: a pcap replay and a real bump-in-the-wire.
    @Suite struct TestbedShapes {
        @Test func pcapReplayIsListedAndCaptured() throws {
            try Harness.checkPrerequisites()
            let testbed = try Testbed.start("pcap", prefix: "it-pcap")
            defer { testbed.stop() }
            let listed = try Harness.dpdkscope(["list", "--file-prefix", testbed.prefix])
            #expect(listed.stdout.contains("0  net_pcap0  driver=net_pcap"), "\(listed.stdout)\(listed.stderr)")
            let probe = try Harness.dpdkscope(["probe", "--file-prefix", testbed.prefix, "-i", "net_pcap0", "--json"])
            #expect(probe.status == 0, "\(probe.stderr)")
            let result = try jsonObject(probe.stdout)
            let counters = try #require((result["counters"] as? [String: Any])?["net_pcap0"] as? [String: Any])
            #expect((result["dequeued"] as? Int ?? 0) > 0)
            #expect(counters["nombuf"] as? Int == 0)
        }

        /// Ping between two namespaces flows through testpmd's tap ports;
        /// our capture sees those packets while they pass.
        @Test func tapBumpInTheWireCarriesRealTraffic() throws {
            try Harness.checkPrerequisites()
            let testbed = try Testbed.start("tap", prefix: "it-tap")
            defer { testbed.stop() }
            let namespaceA = try #require(testbed.facts["netns-a"])
            let addressB = try #require(testbed.facts["ip-b"])

            let listed = try Harness.dpdkscope(["list", "--file-prefix", testbed.prefix, "--json"])
            let ports = try #require(try jsonObject(listed.stdout)["ports"] as? [[String: Any]])
            #expect(ports.map { $0["driver"] as? String } == ["net_tap", "net_tap"])

            // The ping outlasts the probe, however long the probe takes to attach.
            let ping = try Subprocess(["ip", "netns", "exec", namespaceA, "ping", "-i", "0.05", "-W", "1", "-w", "60", addressB])
            let probe = try Harness.dpdkscope(["probe", "--file-prefix", testbed.prefix, "--duration", "1.5", "--json"])
            ping.signal(SIGINT)  // exits 0 when it had replies
            let pingStatus = ping.wait(timeout: 20)
            #expect(pingStatus == 0, "ping through testpmd failed: \(ping.stdout)\(ping.stderr)")
            #expect(probe.status == 0, "\(probe.stderr)")
            let result = try jsonObject(probe.stdout)
            // Each echo crosses the primary twice (request in on A, reply in
            // on B) and is seen on rx and tx: well over 20 copies in 1.5 s.
            #expect((result["dequeued"] as? Int ?? 0) >= 20)
            let counters = try #require(result["counters"] as? [String: [String: Any]])
            #expect(counters.values.allSatisfy { $0["nombuf"] as? Int == 0 })
        }

        @Test func hugepageScriptsAreIdempotent() throws {
            try Harness.checkPrerequisites()
            let reserve = Harness.packageRoot + "/hugepages/reserve.sh"
            for _ in 0..<2 {
                let run = try Harness.run([reserve])
                #expect(run.status == 0, "\(run.stderr)")
            }
            let status = try Harness.run([Harness.packageRoot + "/hugepages/status.sh"])
            #expect(status.status == 0)
            #expect(status.stdout.contains("mount=") || status.stdout.contains("hugetlbfs"), "\(status.stdout)")
            // Not root: a clear refusal, exit 2.
            let copy = "/tmp/dpdkscope-hp-\(getpid()).sh"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: Harness.packageRoot + "/hugepages/hugepages.sh", toPath: copy)
            chmod(copy, 0o755)
            defer { unlink(copy) }
            let refused = try Harness.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", copy, "reserve"])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("root"), "\(refused.stderr)")
        }
    }
}
