import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Flows from `read` against tshark on real traffic captured through the
    /// tap testbed: same TCP conversations, same packets and bytes per flow.
    @Suite struct FlowDifferential {
        @Test func perFlowTotalsEqualTshark() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("tap", prefix: "it-flows")
            defer { testbed.stop() }
            let a = try #require(testbed.facts["netns-a"])
            let addressB = try #require(testbed.facts["ip-b"])
            let server = try testbed.startHTTPServer()
            defer { server.signal(SIGTERM); server.wait(timeout: 5) }
            let dns = try testbed.startDNSServer(pidFile: dir.file("dnsmasq.pid"))
            defer { dns.signal(SIGTERM); dns.wait(timeout: 5) }
            let out = dir.file("flows.pcapng")
            let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "-i", "0", "-w", out])
            #expect(capture.waitForStderr("Capturing on"), "\(capture.stderr)")
            // Many short connections (each a flow), some with larger bodies.
            let load = "for i in $(seq 120); do curl -s -o /dev/null http://\(addressB):8080/testbed.sh; curl -s -o /dev/null http://\(addressB):8080/missing-$i; done; for i in $(seq 40); do dig +short +tries=1 +time=3 @\(addressB) host$i.demo.test >/dev/null; done; ping -c 5 -i 0.05 \(addressB) >/dev/null"
            let client = try Harness.run(["ip", "netns", "exec", a, "sh", "-c", load], timeout: 120)
            #expect(client.status == 0, "\(client.stderr)")
            usleep(500_000)
            capture.signal(SIGINT)
            #expect(capture.wait(timeout: 10) == 0, "\(capture.stderr)")
            try Oracle.expectClean(out)
            #expect(try Oracle.count(out) > 2000, "the capture should hold thousands of packets")

            let read = try Harness.dpdkscope(["read", out, "--flows", "--json"])
            #expect(read.status == 0, "\(read.stderr)")
            let events = try read.stdout.split(separator: "\n").map { try jsonObject($0) }
            for transport in ["tcp", "udp"] {
                // tshark: frames and bytes per conversation (tcp.stream / udp.stream).
                // ICMP errors are left out: tshark dissects the headers they
                // quote (a late DNS answer's port unreachable) as udp.
                var expected: [String: (frames: Int, bytes: Int)] = [:]
                for row in try Oracle.fields(out, ["\(transport).stream", "frame.len"], filter: "\(transport) && !icmp && !icmpv6") where row.count == 2 {
                    let entry = expected[row[0], default: (0, 0)]
                    expected[row[0]] = (entry.frames + 1, entry.bytes + (Int(row[1]) ?? 0))
                }
                // dpdkscope: final flow events of that transport.
                var ours: [(frames: Int, bytes: Int)] = []
                for event in events {
                    guard (event["flow"] as? [String: Any])?["final"] as? Bool == true,
                          (event["network"] as? [String: Any])?["transport"] as? String == transport else { continue }
                    let source = event["source"] as? [String: Any] ?? [:], destination = event["destination"] as? [String: Any] ?? [:]
                    ours.append(((source["packets"] as? Int ?? 0) + (destination["packets"] as? Int ?? 0),
                                 (source["bytes"] as? Int ?? 0) + (destination["bytes"] as? Int ?? 0)))
                }
                // dig picks a random source port per query: two of the 40 can
                // share one, which tshark and we both count as one conversation
                // (CI saw 39 once), so the floor leaves room for that.
                #expect(expected.count >= (transport == "tcp" ? 200 : 30), "\(transport): tshark saw \(expected.count) conversations")
                #expect(ours.count == expected.count, "\(transport) flows: ours \(ours.count), tshark \(expected.count)")
                let sortKey = { (t: (frames: Int, bytes: Int)) in t.frames * 1_000_000_000 + t.bytes }
                #expect(ours.map(sortKey).sorted() == expected.values.map(sortKey).sorted(),
                        "\(transport): per-flow packet/byte totals differ from tshark's")
            }
        }
    }
}
