import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// `kill -9` of dpdkscope itself at full rate: a write the kernel cuts
    /// for the fatal signal can end a file mid-block (about one kill in ten
    /// did before the crash guard). Every file must still read clean, and
    /// the next run must reclaim the dead run's ring, pool and callbacks.
    @Suite struct Sigkill {
        @Test func killedCapturesLeaveCleanFilesAndTheNextRunReclaims() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-sigkill")
            defer { testbed.stop() }
            for round in 0..<5 {
                let file = dir.file("k\(round).pcapng")
                let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "-i", "0",
                                              "-w", file, "-q"])
                // Killed a varying moment after packets flow (attach takes
                // longer on a loaded machine, so wait for data, not a time).
                waitForData(file)
                usleep(UInt32(100_000 + round * 130_000))
                #expect(capture.isRunning, "\(capture.stderr)")
                capture.signal(SIGKILL)
                capture.wait(timeout: 10)
                if round > 0 {
                    #expect(capture.stderr.contains("reclaimed the ring and pool of dead dpdkscope pid"), "\(capture.stderr)")
                }
                usleep(200_000)  // the guard truncates right after we die
                try Oracle.expectClean(file)
                #expect(try Oracle.count(file) > 1000)
            }
            #expect(testbed.isAlive, "the primary must survive its captures being killed")
        }

        /// Until `path` holds 64 KiB, or 20 s.
        @Test func killedMultiWorkerCaptureLeavesEveryWorkerFileClean() throws {
            try Harness.checkPrerequisites()
            let dir = ScratchDirectory()
            defer { dir.remove() }
            let testbed = try Testbed.start("null", prefix: "it-sigkill-multi", extra: ["--rxq", "2", "--txq", "2"])
            defer { testbed.stop() }
            for round in 0..<2 {
                let capture = try Subprocess([Harness.dpdkscope, "capture", "--file-prefix", testbed.prefix, "--multi",
                                              "--workers", "2", "-i", "0", "-w", dir.file("m\(round).pcapng"), "-q"])
                waitForData(dir.file("m\(round)-w1.pcapng"))
                usleep(UInt32(100_000 + round * 230_000))
                capture.signal(SIGKILL)
                capture.wait(timeout: 10)
                usleep(200_000)
                let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("m\(round)") }
                #expect(files.count == 2, "\(files)")
                for name in files { try Oracle.expectClean(dir.file(name)) }
            }
        }
    }
}
