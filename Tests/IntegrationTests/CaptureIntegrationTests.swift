import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `dpdkscope capture` against the unmodified testpmd, checked by tshark.
    @Suite struct Capture {
        @Test func replayedPacketsArriveByteForByteAndCountIsExact() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("pcap", prefix: "it-cap-replay")
            defer { testbed.stop() }
            let out = dir.file("replay.pcapng")
            let started = Date().timeIntervalSince1970
            let run = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "net_pcap0", "--rx",
                                             "-c", "150", "-w", out, "-q"])
            let ended = Date().timeIntervalSince1970
            #expect(run.status == 0, "\(run.stderr)")
            try Oracle.expectClean(out)
            // Packet times are wall-clock times of this capture: within 1 s of
            // its start and end. 22.11 stamps nanoseconds (with its clock
            // fault, repaired); 23.11+ stamps TSC cycles, converted by us.
            let times = try Oracle.fields(out, ["frame.time_epoch"]).compactMap { $0.first.flatMap(Double.init) }
            #expect(times.count == 150)
            #expect(times.allSatisfy { $0 >= started - 1 && $0 <= ended + 1 },
                    "times \(times.min() ?? 0)...\(times.max() ?? 0) outside \(started)...\(ended)")
            let source = Set(try Oracle.packetHashes(Harness.packageRoot + "/Scripts/data/demo.pcap"))
            let captured = try Oracle.packetHashes(out)
            #expect(captured.count == 150)
            #expect(captured.allSatisfy { source.contains($0) }, "captured bytes differ from the replayed file")
            let info = try Harness.run(["capinfos", "-M", out])
            #expect(info.stdout.contains("Name = net_pcap0"))
            #expect(info.stdout.contains("Number of interfaces in file: 1"))
            #expect(info.stdout.contains("Capture application: dpdkscope"))
            // Files are private by default.
            var st = stat()
            stat(out, &st)
            #expect(st.st_mode & 0o777 == 0o600)
        }

        @Test func filterRunsInThePrimaryAndCountsTheRest() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("pcap", prefix: "it-cap-filter")
            defer { testbed.stop() }
            let out = dir.file("http.pcapng")
            let run = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0", "--rx",
                                             "-f", "tcp port 80", "-c", "40", "-w", out, "-q", "--json-summary"])
            #expect(run.status == 0, "\(run.stderr)")
            try Oracle.expectClean(out)
            #expect(try Oracle.count(out) == 40)
            #expect(try Oracle.count(out, filter: "tcp.port == 80") == 40)
            let queue = try #require(captureQueues(try captureSummary(run)).first)
            #expect((queue["filtered"] as? Int ?? 0) > 0, "packets rejected by the filter must show as filtered")
            let info = try Harness.run(["capinfos", "-M", out])
            #expect(info.stdout.contains("tcp port 80"), "if_filter should name the expression")

            let bad = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-f", "tcp port eighty", "-w", out])
            #expect(bad.status == 2)
            #expect(bad.stderr.hasPrefix("dpdkscope: invalid filter 'tcp port eighty'"), "\(bad.stderr)")
            let huge = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-s", "262145", "-w", out])
            #expect(huge.status == 2 && huge.stderr.contains("at most 262144"), "\(huge.stderr)")

            // Classic pcap keeps nanoseconds; -g and the comment reach the file.
            let classic = dir.file("classic.pcap")
            let pcap = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0", "-P", "-c", "20", "-g",
                                              "-s", "65536", "-w", classic, "-q"])
            #expect(pcap.status == 0, "\(pcap.stderr)")
            try Oracle.expectClean(classic)
            let classicInfo = try Harness.run(["capinfos", "-t", "-l", "-c", classic]).stdout
            #expect(classicInfo.contains("nanosecond pcap"), "\(classicInfo)")
            #expect(classicInfo.contains("Packet size limit:   file hdr: 65536"), "\(classicInfo)")
            var st = stat()
            stat(classic, &st)
            #expect(st.st_mode & 0o777 == 0o640)
            let commented = dir.file("commented.pcapng")
            _ = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0", "-c", "5",
                                       "--capture-comment", "incident 42", "-w", commented, "-q"])
            #expect(try Harness.run(["capinfos", "-k", commented]).stdout.contains("incident 42"))
        }

        @Test func directionsQueuesAndSeveralInterfaces() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-cap-queues", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }

            let rxOut = dir.file("rx-q1.pcapng")
            let rx = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0:1", "--rx", "-c", "50", "-w", rxOut, "-q"])
            #expect(rx.status == 0, "\(rx.stderr)")
            let rxRows = try Oracle.fields(rxOut, ["frame.interface_queue", "frame.packet_flags_direction"])
            #expect(rxRows.count == 50)
            #expect(rxRows.allSatisfy { $0 == ["1", "0x00000001"] }, "\(rxRows.prefix(3))")

            let txOut = dir.file("tx.pcapng")
            let tx = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "net_null1", "--tx", "-c", "50", "-w", txOut, "-q"])
            #expect(tx.status == 0, "\(tx.stderr)")
            #expect(try Oracle.fields(txOut, ["frame.packet_flags_direction"]).allSatisfy { $0 == ["0x00000002"] })

            let bothOut = dir.file("both.pcapng")
            let both = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0", "-i", "1:0", "-a", "duration:0.3", "-w", bothOut, "-q"])
            #expect(both.status == 0, "\(both.stderr)")
            try Oracle.expectClean(bothOut)
            let info = try Harness.run(["capinfos", "-M", bothOut])
            #expect(info.stdout.contains("Number of interfaces in file: 2"))
            #expect(info.stdout.contains("Name = net_null0") && info.stdout.contains("Name = net_null1"))
            #expect(try Oracle.count(bothOut, filter: "frame.interface_name == \"net_null1\"") > 0)

            let missing = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0:5", "-w", bothOut])
            #expect(missing.status == 2 && missing.stderr.contains("queue 5 does not exist"), "\(missing.stderr)")
        }

        @Test func ringBufferRotationStreamingAndNothingLost() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-cap-rotate")
            defer { testbed.stop() }

            let rotate = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0", "--rx", "-b", "filesize:200",
                                                "-b", "files:3", "-a", "duration:1.5", "-w", dir.file("ring.pcapng"), "-q"])
            #expect(rotate.status == 0, "\(rotate.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            #expect(files.count == 3, "\(files)")
            for file in files {
                #expect(file.range(of: #"^ring_\d{5}_\d{14}\.pcapng$"#, options: .regularExpression) != nil, "\(file)")
                try Oracle.expectClean(dir.file(file))
            }

            let piped = try Harness.run(["sh", "-c", "\(Harness.dpdkscope) capture --file-prefix \(testbed.prefix) -i 0 -c 500 -w - -q | tshark -r - -T fields -e frame.number | wc -l"])
            #expect(piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "500", "\(piped.stderr)")

            // Every packet the primary put in our ring reaches the file:
            // written == accepted - ringfull, summed over queues.
            let out = dir.file("all.pcapng")
            let all = try Harness.dpdkscope(["capture", "--file-prefix", testbed.prefix, "-i", "0", "--rx", "-a", "duration:0.5",
                                             "-w", out, "-q", "--json-summary"])
            #expect(all.status == 0, "\(all.stderr)")
            let summary = try captureSummary(all)
            let enqueued = captureQueues(summary).reduce(0) { $0 + ($1["accepted"] as? Int ?? 0) - ($1["ringfull"] as? Int ?? 0) }
            #expect(summary["packets_written"] as? Int == enqueued)
            let counted = try Harness.run(["capinfos", "-c", "-M", out]).stdout
            #expect(counted.contains("Number of packets:   \(enqueued)"), "\(counted)")
        }
    }
}
