import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Each attach failure: exit code 2, exactly one stderr line, well under
    /// the 6 s budget, never an EAL panic or a backtrace.
    @Suite struct AttachErrors {
        func expectOneLineError(_ output: Harness.Output, mentioning words: String...,
                                sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(output.status == 2, "exit \(output.status): \(output.stderr)", sourceLocation: sourceLocation)
            #expect(output.stderrLines.count == 1, "stderr: \(output.stderr)", sourceLocation: sourceLocation)
            #expect(output.stderr.hasPrefix("dpdkscope: "), sourceLocation: sourceLocation)
            #expect(output.seconds < 6, sourceLocation: sourceLocation)
            for word in words {
                #expect(output.stderr.contains(word), "stderr: \(output.stderr)", sourceLocation: sourceLocation)
            }
        }

        @Test func noPrimaryWithThatPrefix() throws {
            try Harness.checkPrerequisites()
            expectOneLineError(try Harness.dpdkscope(["list", "--file-prefix", Harness.prefix("it-nobody-here")]), mentioning: "no DPDK primary")
            // A runtime directory left behind by a killed primary is not a primary.
            let stale = "/var/run/dpdk/" + Harness.prefix("it-stale")
            mkdir(stale, 0o755)
            _ = FileManager.default.createFile(atPath: stale + "/config", contents: Data(count: 64))
            defer { try? FileManager.default.removeItem(atPath: stale) }
            expectOneLineError(try Harness.dpdkscope(["stats", "--file-prefix", Harness.prefix("it-stale")]), mentioning: "left over")
        }

        @Test func unknownFlagsAndSubcommands() throws {
            try Harness.checkPrerequisites()
            expectOneLineError(try Harness.dpdkscope(["list", "--bogus"]), mentioning: "--bogus")
            expectOneLineError(try Harness.dpdkscope(["frobnicate"]), mentioning: "frobnicate")
            expectOneLineError(try Harness.dpdkscope(["stats", "--interval", "-1"]), mentioning: "--interval")
        }

        @Test func errorsAgainstALivePrimary() throws {
            try Harness.checkPrerequisites()
            let testbed = try Testbed.start("null", prefix: "it-errors")
            defer { testbed.stop() }

            expectOneLineError(try Harness.dpdkscope(["stats", "--file-prefix", testbed.prefix, "-i", "7"]),
                               mentioning: "unknown port '7'", "net_null0")
            expectOneLineError(try Harness.dpdkscope(["probe", "--file-prefix", testbed.prefix, "-i", "net_tap9"]),
                               mentioning: "unknown port 'net_tap9'")

            // Not root: the tool says so instead of failing inside EAL.
            let copy = "/tmp/dpdkscope-it-\(getpid())"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: Harness.dpdkscope, toPath: copy)
            chmod(copy, 0o755)
            defer { unlink(copy) }
            expectOneLineError(try Harness.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                                copy, "list", "--file-prefix", testbed.prefix]),
                               mentioning: "root")

            // No hugetlbfs in our mount namespace, while the primary runs.
            let script = "grep hugetlbfs /proc/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l; exec \(Harness.dpdkscope) list --file-prefix \(testbed.prefix)"
            expectOneLineError(try Harness.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script]),
                               mentioning: "hugetlbfs")
            #expect(testbed.isAlive)
        }

        /// A stand-in primary for `prefix`: a runtime config of 4 KiB whose
        /// header says RTE_MAGIC and `version`, with the write lock a real
        /// primary holds, kept while `body` runs.
        func withStandInPrimary(_ prefix: String, version: Int, _ body: () throws -> Void) throws {
            let dir = "/var/run/dpdk/" + prefix
            mkdir("/var/run/dpdk", 0o755)
            mkdir(dir, 0o755)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let holder = try Subprocess(["python3", "-c", """
                import struct, fcntl, time
                f = open('\(dir)/config', 'wb+')
                f.write(struct.pack('<II', 19820526, \(version)) + bytes(4096)); f.flush()
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                print('locked', flush=True)
                time.sleep(30)
                """])
            defer { holder.wait(timeout: 0) }
            for _ in 0..<200 where !holder.stdout.contains("locked") { usleep(20_000) }
            try #require(holder.stdout.contains("locked"), "lock holder failed: \(holder.stderr)")
            try body()
        }

        @Test func primaryOfAnotherDPDKVersion() throws {
            try Harness.checkPrerequisites()
            // DPDK 21.11: no release dpdkscope builds against, so the line is
            // the same on every build: 22.11 and 24.11 from Debian, 23.11 and
            // 25.11 from source.
            let prefix = Harness.prefix("it-version")
            try withStandInPrimary(prefix, version: (21 << 24) | (11 << 16) | 99) {
                // The line names the primary's release and the build that is needed.
                expectOneLineError(try Harness.dpdkscope(["list", "--file-prefix", prefix]),
                                   mentioning: "version mismatch", "runs DPDK 21.11.0", "built against DPDK 21.11")
            }
        }

        @Test func truncatedRuntimeConfigOfOurVersion() throws {
            try Harness.checkPrerequisites()
            // The header is right (our release) but the file ends after 4 KiB:
            // EAL maps it at its full size and faults (SIGBUS) reading past
            // the end. That must be one line and exit 2, like any attach
            // failure, not a crash.
            let release = try Harness.run(["pkg-config", "--modversion", "libdpdk"]).stdout
                .split(separator: "\n").first.map { $0.split(separator: ".").compactMap { Int($0) } } ?? []
            try #require(release.count >= 2, "pkg-config --modversion libdpdk: \(release)")
            let code = release[0] << 24 | release[1] << 16 | (release.count > 2 ? release[2] : 0) << 8 | 99
            let prefix = Harness.prefix("it-truncated")
            try withStandInPrimary(prefix, version: code) {
                expectOneLineError(try Harness.dpdkscope(["list", "--file-prefix", prefix]),
                                   mentioning: "runtime config", "shorter than DPDK")
            }
        }

        @Test func primaryWithoutPdumpInit() throws {
            try Harness.checkPrerequisites()
            // A real primary that never calls rte_pdump_init(), of the
            // release under test (Debian's dpdk-test exists for Debian's only).
            let binary = "/tmp/dpdkscope-nopdump-primary-\(getpid())"
            defer { unlink(binary) }
            try Harness.buildFixturePrimary("mini-primary.c", into: binary)
            let prefix = Harness.prefix("it-nopdump")
            let primary = try Subprocess([binary, "-l", "0", "--no-pci", "--no-telemetry", "-m", "64", "--file-prefix", prefix,
                                          "--vdev", "net_null0"], environment: ["MINI_PRIMARY_NO_PDUMP": "1"])
            defer {
                _ = try? Harness.run(["sh", "-c", "pkill -f 'file-prefix \(prefix)'; sleep 1; pkill -9 -f 'file-prefix \(prefix)'"])
                primary.wait(timeout: 5)
                try? FileManager.default.removeItem(atPath: "/var/run/dpdk/\(prefix)")
                // A killed primary leaves its hugepage files (and pages) behind.
                _ = try? Harness.run(["sh", "-c", "rm -f /dev/hugepages/\(prefix)map_*"])
            }
            let listed = try waitForPrimary(prefix: prefix)
            #expect(listed.stdout.contains("pdump=not initialised"))
            for command in ["stats", "probe"] {
                expectOneLineError(try Harness.dpdkscope([command, "--file-prefix", prefix]), mentioning: "rte_pdump_init")
            }
        }

        /// Polls `list` until the primary answers.
        func waitForPrimary(prefix: String) throws -> Harness.Output {
            var last = try Harness.dpdkscope(["list", "--file-prefix", prefix])
            for _ in 0..<100 where last.status != 0 {
                usleep(200_000)
                last = try Harness.dpdkscope(["list", "--file-prefix", prefix])
            }
            try #require(last.status == 0, "the primary never became attachable: \(last.stderr)")
            return last
        }
    }
}
