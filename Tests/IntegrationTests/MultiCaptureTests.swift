import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `capture --multi`: queue groups on worker lcores (two lcores may
    /// share one CPU here: this machine has two).
    @Suite struct MultiCapture {
        @Test func queuesSplitOverWorkersAndCountsAddUp() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-multi", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }
            let run = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "--multi", "--workers", "2", "-i", "0",
                                             "--rx", "-a", "duration:1", "-w", dir.file("q.pcapng"), "--json-summary"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("w0@lcore") && run.stderr.contains("w1@lcore"), "\(run.stderr)")
            let summary = try captureSummary(run)
            let files = summary["files"] as? [String] ?? []
            #expect(files.map { ($0 as NSString).lastPathComponent } == ["q-w0.pcapng", "q-w1.pcapng"])
            var total = 0
            for (index, file) in files.enumerated() {
                try Oracle.expectClean(file)
                let queues = Set(try Oracle.fields(file, ["frame.interface_queue"]).prefix(2000).map { $0.first ?? "" })
                #expect(queues.count == 1, "worker \(index) must own whole queues: \(queues)")
                total += try Oracle.count(file)
            }
            // Per-worker files add up to what was written, which is exactly
            // what the primary enqueued for us (accepted - ringfull).
            #expect(summary["packets_written"] as? Int == total)
            let enqueued = captureQueues(summary).reduce(0) { $0 + ($1["accepted"] as? Int ?? 0) - ($1["ringfull"] as? Int ?? 0) }
            #expect(total == enqueued)
        }

        @Test func mergeGivesOneOrderedFileAndExactCount() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-merge", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }
            let out = dir.file("merged.pcapng")
            let run = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "--multi", "--workers", "2", "--merge",
                                             "-i", "0", "-i", "1", "-c", "20000", "-w", out, "-q"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["merged.pcapng"], "worker parts must be gone")
            try Oracle.expectClean(out)
            #expect(try Oracle.count(out) == 20000, "-c stays exact across workers")
            let info = try Harness.run(["capinfos", "-M", out]).stdout
            #expect(info.contains("Number of interfaces in file: 2"))
            #expect(info.contains("Strict time order:   True"), "\(info)")
        }

        @Test func fewerWorkersThanTuplesStillCapturesEveryTuple() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-share", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }
            // 2 ports × 2 queues × 2 directions = 8 tuples on one worker.
            let run = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "--multi", "--workers", "1",
                                             "-a", "duration:0.5", "-w", dir.file("one.pcapng"), "--json-summary", "-q"])
            #expect(run.status == 0, "\(run.stderr)")
            let queues = captureQueues(try captureSummary(run))
            #expect(queues.count == 8)
            #expect(queues.allSatisfy { ($0["accepted"] as? Int ?? 0) > 0 }, "\(queues)")
            let file = dir.file("one-w0.pcapng")
            try Oracle.expectClean(file)
            let seen = Set(try Oracle.fields(file, ["frame.interface_name", "frame.interface_queue", "frame.packet_flags_direction"],
                                             options: ["-c", "200000"]).map { $0.joined(separator: "/") })
            #expect(seen.count == 8, "\(seen)")
        }

        @Test func primaryDeathLeavesEveryWorkerFileValid() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-multi-kill", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }
            let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "--multi", "--workers", "2",
                                          "-i", "0", "-w", dir.file("k.pcapng")])
            (0..<2).forEach { waitForData(dir.file("k-w\($0).pcapng")) }
            kill(testbed.pid, SIGKILL)
            let hung = capture.exits(within: 10) ? "" : "\nhung:\n" + capture.stacks()
            #expect(capture.wait(timeout: 0) == 3, "\(capture.stderr)\(hung)")
            for worker in 0..<2 {
                let file = dir.file("k-w\(worker).pcapng")
                try Oracle.expectClean(file)
                #expect(try Oracle.count(file) > 0)
            }
        }
    }
}

extension Integration.MultiCapture {
    /// Real traffic below saturation through a 2-queue tap primary, captured
    /// by two workers and merged: exactly the frames the kernel side of port
    /// 0 saw (dumpcap on its tap interface is the independent source), none
    /// lost, none duplicated.
    @Test func nothingLostNorDuplicatedBelowSaturation() throws {
        try Harness.checkPrerequisites()
        let dir = ScratchDirectory()
        defer { dir.remove() }
        let testbed = try Testbed.start("tap", prefix: "it-multi-tap", extra: ["--rxq", "2", "--txq", "2"])
        defer { testbed.stop() }
        let a = try #require(testbed.facts["netns-a"]), b = try #require(testbed.facts["netns-b"])
        let ifaceA = try #require(testbed.facts["iface-a"]), addressB = try #require(testbed.facts["ip-b"])
        let server = try Subprocess(["ip", "netns", "exec", b, "python3", "-m", "http.server", "8080", "--bind", addressB,
                                     "--directory", Harness.packageRoot + "/Scripts"])
        defer { server.signal(SIGTERM); server.wait(timeout: 5) }
        for _ in 0..<50 where try Harness.run(["ip", "netns", "exec", b, "sh", "-c", "ss -ltn | grep -q :8080"]).status != 0 {
            usleep(100_000)
        }
        let ground = dir.file("ground.pcapng"), ours = dir.file("ours.pcapng")
        let reference = try Subprocess(["ip", "netns", "exec", a, "dumpcap", "-q", "-i", ifaceA, "-w", ground])
        let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "--multi", "--workers", "2",
                                      "--merge", "-i", "0", "-w", ours])
        // Both running before the traffic: our workers enabled ("Workers:"
        // follows every enable), dumpcap's file begun.
        #expect(capture.waitForStderr("Workers:"), "\(capture.stderr)")
        waitForData(ground, bytes: 1)
        usleep(300_000)
        let load = "for i in $(seq 40); do curl -s -o /dev/null http://\(addressB):8080/testbed.sh; done; ping -c 10 -i 0.05 \(addressB) >/dev/null"
        #expect(try Harness.run(["ip", "netns", "exec", a, "sh", "-c", load], timeout: 120).status == 0)
        usleep(1_000_000)
        capture.signal(SIGINT)
        #expect(capture.wait(timeout: 10) == 0, "\(capture.stderr)")
        reference.signal(SIGINT)
        reference.wait(timeout: 10)
        try Oracle.expectClean(ours)
        // Only the generated traffic: it started after both captures were
        // running and ended before either stopped (background frames such as
        // neighbour discovery may fall outside our window).
        func hashes(_ path: String) throws -> [String: Int] {
            try Oracle.fields(path, ["frame.md5_hash"], filter: "tcp.port == 8080 or icmp",
                              options: ["-o", "frame.generate_md5_hash:TRUE"])
                .reduce(into: [:]) { $0[$1.first ?? "", default: 0] += 1 }
        }
        let expected = try hashes(ground), got = try hashes(ours)
        let frames = expected.values.reduce(0, +)
        #expect(frames > 400, "the reference saw only \(frames) frames")
        #expect(got.values.reduce(0, +) == frames, "ours \(got.values.reduce(0, +)) frames, the interface \(frames)")
        #expect(got == expected, "frames lost or duplicated")
    }
}
