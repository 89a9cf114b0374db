import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Every way a capture ends leaves a file tshark reads cleanly.
    @Suite struct CaptureFailures {
        @Test func signalsAndPrimaryDeathLeaveValidFiles() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            for signal in [SIGINT, SIGTERM] {
                let testbed = try Testbed.start("null", prefix: "it-cap-signal")
                defer { testbed.stop() }
                let out = dir.file("signal-\(signal).pcapng")
                let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "-i", "0", "-w", out])
                // Past attaching and enabling (a signal then would test the attach, not the capture).
                waitForData(out)
                capture.signal(signal)
                #expect(capture.wait(timeout: 5) == 0, "\(capture.stderr)")
                try Oracle.expectClean(out)
                #expect(try Oracle.count(out) > 0)
                #expect(capture.stderr.contains("Packets captured:"))
            }
            // The primary dies mid-capture: exit 3 within a second, file valid.
            let testbed = try Testbed.start("null", prefix: "it-cap-death")
            defer { testbed.stop() }
            let out = dir.file("death.pcapng")
            let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "-i", "0", "-w", out])
            waitForData(out)
            kill(testbed.pid, SIGKILL)
            let killed = Date()
            let status = capture.wait(timeout: 10)
            #expect(Date().timeIntervalSince(killed) < 1.5)
            #expect(status == 3, "\(capture.stderr)")
            #expect(capture.stderr.contains("primary (pid \(testbed.pid)"))
            try Oracle.expectClean(out)
            #expect(try Oracle.count(out) > 0)
        }

        @Test func closedPipeAndFullDiskStopCleanly() throws {
            try Harness.checkPrerequisites()
            let testbed = try Testbed.start("null", prefix: "it-cap-pipe")
            defer { testbed.stop() }
            // SIGPIPE on -w -: the reader goes away; we stop without a trace.
            let piped = try Harness.run(["sh", "-c", "\(Harness.dpdkscope) capture --file-prefix \(testbed.prefix) -i 0 -w - -q | head -c 100000 > /dev/null; echo \"status=${PIPESTATUS:-x}\""])
            #expect(!piped.stderr.contains("crashed") && !piped.stderr.contains("Fatal"), "\(piped.stderr)")

            // A 300 kB file system: one clear line, exit 1, file whole.
            let mountPoint = "/tmp/dpdkscope-it-full-\(getpid())"
            mkdir(mountPoint, 0o755)
            let mounted = try Harness.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", mountPoint])
            try #require(mounted.status == 0, "\(mounted.stderr)")
            defer {
                _ = try? Harness.run(["umount", mountPoint])
                rmdir(mountPoint)
            }
            let out = mountPoint + "/full.pcapng"
            let full = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0", "-a", "duration:3", "-w", out, "-q"])
            #expect(full.status == 1, "\(full.stderr)")
            #expect(full.stderr == "dpdkscope: disk full while writing \(out)\n")
            try Oracle.expectClean(out)
            #expect(try Oracle.count(out) > 100)
            #expect(testbed.isAlive)
        }

        @Test func secondCaptureOnAQueueIsRefusedAndTakeoverReclaims() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-cap-busy")
            defer { testbed.stop() }
            func memzones() throws -> [String] {
                let listed = try Harness.dpdkscope(["list", "--file-prefix", testbed.prefix, "--memzones", "--json"])
                return try jsonObject(listed.stdout)["memzones"] as? [String] ?? []
            }
            let baseline = try memzones()
            func promiscuous() throws -> [Bool] {
                let listed = try Harness.dpdkscope(["list", "--file-prefix", testbed.prefix, "--json"])
                let ports = try jsonObject(listed.stdout)["ports"] as? [[String: Any]] ?? []
                return ports.map { $0["promiscuous"] as? Bool ?? false }
            }
            let promiscBefore = try promiscuous()
            #expect(promiscBefore == [true, true], "testpmd enables promiscuous mode")

            let first = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "-i", "0:0", "--rx", "-w", dir.file("first.pcapng")])
            #expect(first.waitForStderr("Capturing on"), "\(first.stderr)")
            let second = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0:0", "--rx", "-w", dir.file("second.pcapng")])
            #expect(second.status == 5)
            #expect(second.stderr.contains("port net_null0 queue 0 rx is already being captured by another secondary"), "\(second.stderr)")
            #expect(first.isRunning, "the refused capture must not disturb the running one")

            // kill -9 the first: its callback keeps copying into its ring.
            first.signal(SIGKILL)
            first.wait(timeout: 5)
            #expect(try memzones().count > baseline.count, "the killed capture's ring and pool are still there")
            let again = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0:0", "--rx", "--takeover",
                                               "-c", "100", "-w", dir.file("again.pcapng"), "-q"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try Oracle.count(dir.file("again.pcapng")) == 100)
            #expect(try memzones() == baseline, "orphaned ring and pool must be reclaimed")
            // dumpcap turns promiscuous mode off at exit; we leave it alone.
            #expect(try promiscuous() == promiscBefore)
        }

        /// Real HTTP through the tap bump-in-the-wire: every request curl
        /// makes shows up in the capture, as tshark decodes it.
        @Test func curlThroughTheTapTestbedIsCaptured() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("tap", prefix: "it-cap-tap")
            defer { testbed.stop() }
            let namespaceA = try #require(testbed.facts["netns-a"]), namespaceB = try #require(testbed.facts["netns-b"])
            let addressB = try #require(testbed.facts["ip-b"])
            let server = try Subprocess(["ip", "netns", "exec", namespaceB, "python3", "-m", "http.server", "8080",
                                         "--bind", addressB, "--directory", dir.path])
            defer { server.signal(SIGTERM); server.wait(timeout: 5) }
            for _ in 0..<50 where try Harness.run(["ip", "netns", "exec", namespaceB, "sh", "-c", "ss -ltn | grep -q :8080"]).status != 0 {
                usleep(100_000)
            }
            let out = dir.file("http.pcapng")
            let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "-i", "0", "--rx",
                                          "-f", "tcp port 8080", "-w", out])
            #expect(capture.waitForStderr("Capturing on"), "\(capture.stderr)")
            let requests = 7
            for index in 0..<requests {
                let curl = try Harness.run(["ip", "netns", "exec", namespaceA, "curl", "-s", "-o", "/dev/null",
                                            "-w", "%{http_code}", "http://\(addressB):8080/missing-\(index)"])
                #expect(curl.stdout == "404", "curl through testpmd failed: \(curl.stdout) \(curl.stderr)")
            }
            usleep(300_000)
            capture.signal(SIGINT)
            #expect(capture.wait(timeout: 5) == 0, "\(capture.stderr)")
            try Oracle.expectClean(out)
            let uris = try Oracle.fields(out, ["http.request.uri"], filter: "http.request").map { $0.first ?? "" }
            #expect(uris == (0..<requests).map { "/missing-\($0)" })
        }
    }
}
