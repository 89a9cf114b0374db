import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `watch` on live traffic through the tap testbed: real curl and dig
    /// against real servers, every transaction reported once, as JSON.
    @Suite struct Watch {
        @Test func liveTransactionsAreReportedOnceEach() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("tap", prefix: "it-watch")
            defer { testbed.stop() }
            let a = try #require(testbed.facts["netns-a"])
            let addressB = try #require(testbed.facts["ip-b"])
            let server = try testbed.startHTTPServer()
            defer { server.signal(SIGTERM); server.wait(timeout: 5) }
            let dns = try testbed.startDNSServer(pidFile: dir.file("dnsmasq.pid"))
            defer { dns.signal(SIGTERM); dns.wait(timeout: 5) }
            let watch = try Subprocess([Harness.dpdkscope, "watch", "--file-prefix", testbed.prefix, "--json",
                                        "--proto", "http:8080;dns", "--stats"])
            #expect(watch.waitForStderr("Watching"), "\(watch.stderr)")  // said once the capture is enabled
            let load = "for i in $(seq 20); do curl -s -o /dev/null http://\(addressB):8080/testbed.sh; curl -s -o /dev/null http://\(addressB):8080/missing-$i; done; for i in $(seq 15); do dig +short +tries=1 +time=1 @\(addressB) host$i.demo.test >/dev/null; done"
            let client = try Harness.run(["ip", "netns", "exec", a, "sh", "-c", load], timeout: 120)
            #expect(client.status == 0, "\(client.stderr)")
            usleep(700_000)
            watch.signal(SIGINT)
            #expect(watch.wait(timeout: 10) == 0, "\(watch.stderr)")

            let events = try watch.stdout.split(separator: "\n").map { try jsonObject($0) }
            let http = events.filter { $0["type"] as? String == "http" }
            let dnsEvents = events.filter { $0["type"] as? String == "dns" }
            #expect(events.count == http.count + dnsEvents.count)
            let paths = http.compactMap { (($0["url"] as? [String: Any])?["path"] as? String) }
            let statuses = http.compactMap { (($0["http"] as? [String: Any])?["response"] as? [String: Any])?["status_code"] as? Int }
            // Received packets only (the default): each transaction once, though both ports see it.
            #expect(paths.filter { $0 == "/testbed.sh" }.count == 20)
            #expect(Set(paths.filter { $0.hasPrefix("/missing-") }).count == 20 && paths.count == 40)
            #expect(statuses.filter { $0 == 200 }.count == 20 && statuses.filter { $0 == 404 }.count == 20)
            let names = dnsEvents.compactMap { ((($0["dns"] as? [String: Any])?["question"] as? [String: Any])?["name"] as? String) }
            #expect(Set(names) == Set((1...15).map { "host\($0).demo.test" }) && names.count == 15)
            #expect(dnsEvents.allSatisfy { $0["status"] as? String == "OK" })
            // With the Public Suffix List (package publicsuffix), the question is cut by the default rule.
            if access("/usr/share/publicsuffix/public_suffix_list.dat", R_OK) == 0 {
                let questions = dnsEvents.compactMap { ($0["dns"] as? [String: Any])?["question"] as? [String: Any] }
                #expect(questions.count == 15 && questions.allSatisfy {
                    $0["registered_domain"] as? String == "demo.test" && $0["top_level_domain"] as? String == "test"
                        && ($0["subdomain"] as? String)?.hasPrefix("host") == true
                })
            }
            #expect(watch.stderr.contains("Transactions: 55"), "\(watch.stderr)")
            #expect(watch.stderr.contains("http_unmatched_requests=0") && watch.stderr.contains("dns_unmatched_requests=0"))
        }
    }
}
