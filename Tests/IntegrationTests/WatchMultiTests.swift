import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `watch --multi`: analysis on two worker lcores over a 2-queue tap
    /// primary. The kernel spreads flows over both queues with a symmetric
    /// hash, so each flow's request and response reach one worker: every
    /// transaction must come out exactly once and matched. No --json: with
    /// stdout not a terminal, JSON is the default.
    @Suite struct WatchMulti {
        @Test func workersReportEveryTransactionOnce() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("tap", prefix: "it-watch-multi", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }
            let a = try #require(testbed.facts["netns-a"])
            let addressB = try #require(testbed.facts["ip-b"])
            let server = try testbed.startHTTPServer()
            defer { server.signal(SIGTERM); server.wait(timeout: 5) }
            let watch = try Subprocess([Harness.dpdkscope, "watch", "--file-prefix", testbed.prefix, "--multi", "--workers", "2", "--proto", "http:8080", "--stats"])
            #expect(watch.waitForStderr("Watching"), "\(watch.stderr)")  // said once every worker is enabled
            let load = "for i in $(seq 40); do curl -s -o /dev/null http://\(addressB):8080/missing-$i; done"
            let client = try Harness.run(["ip", "netns", "exec", a, "sh", "-c", load], timeout: 120)
            #expect(client.status == 0, "\(client.stderr)")
            usleep(700_000)
            watch.signal(SIGINT)
            #expect(watch.wait(timeout: 15) == 0, "\(watch.stderr)")
            #expect(watch.stderr.contains("w0@lcore") && watch.stderr.contains("w1@lcore"), "\(watch.stderr)")
            let events = try watch.stdout.split(separator: "\n").map { try jsonObject($0) }
            let paths = events.compactMap { (($0["url"] as? [String: Any])?["path"] as? String) }
            #expect(paths.count == 40 && Set(paths) == Set((1...40).map { "/missing-\($0)" }), "\(paths.sorted())")
            let statuses = events.compactMap { (($0["http"] as? [String: Any])?["response"] as? [String: Any])?["status_code"] as? Int }
            #expect(statuses.count == 40 && statuses.allSatisfy { $0 == 404 })
            #expect(watch.stderr.contains("http_unmatched_requests=0") && watch.stderr.contains("http_unmatched_responses=0"),
                    "\(watch.stderr)")
        }
    }
}
