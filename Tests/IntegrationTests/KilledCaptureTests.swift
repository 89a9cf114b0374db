import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a dpdkscope killed with SIGKILL leaves behind: callbacks still
/// copying into its ring, which the next run reclaims, and nothing that
/// stops the primary from forwarding.
extension Integration.NullPrimary {
    /// The four pdump counters of port 0, summed: every packet a callback
    /// sees lands in one of them, so the sum moves while any callback runs
    /// and stops only when none does or the primary's lcore is stuck.
    static func copied(_ testbed: Testbed) throws -> Int {
        let stats = try Harness.dpdkscope(["stats", "--file-prefix", testbed.prefix, "--json", "-i", "0"])
        let counters = try jsonObject(stats.stdout)["counters"] as? [String: Any] ?? [:]
        return ["accepted", "filtered", "nombuf", "ringfull"].reduce(0) { $0 + (counters[$1] as? Int ?? 0) }
    }

    /// Accepted per tuple (2 ports x rx, tx), in `stats --queues` order.
    static func acceptedPerTuple(_ testbed: Testbed) throws -> [Int] {
        let stats = try Harness.dpdkscope(["stats", "--file-prefix", testbed.prefix, "--json", "--queues"])
        return try stats.stdout.split(separator: "\n").flatMap { line in
            let queues = try jsonObject(line)["queues"] as? [[String: Any]] ?? []
            return queues.map { ($0["counters"] as? [String: Any])?["accepted"] as? Int ?? 0 }
        }
    }

    /// Starts a capture, waits until all four of its callbacks copy, kills
    /// it with SIGKILL and returns its pid. No callback may be installed
    /// when it is called: the counters persist across captures, so "copies"
    /// means "moved since the call". Killed only once all four copy: a
    /// loaded machine attaches slowly, and a fixed wait sometimes killed it
    /// before (or between) its enables, leaving fewer than four to reclaim.
    /// - Parameter settle: how long it may run once all four copy, up to
    ///   (random, so kills land at different points of its loop).
    static func killCaptureMidRun(_ testbed: Testbed, settle: Double = 0, options: [String] = []) throws -> Int32 {
        let baseline = try acceptedPerTuple(testbed)
        let victim = try Subprocess([Harness.dpdkscope, "probe", "--duration", "60", "--file-prefix", testbed.prefix] + options)
        func everyTupleCopies() throws -> Bool {
            let now = try acceptedPerTuple(testbed)
            return now.count == 4 && baseline.count == 4 && zip(now, baseline).allSatisfy { $0 > $1 }
        }
        let deadline = Date().addingTimeInterval(20)
        while try !everyTupleCopies() && victim.isRunning && Date() < deadline { usleep(200_000) }
        if settle > 0 { usleep(UInt32(Double.random(in: 0...settle) * 1e6)) }
        #expect(victim.isRunning, "\(victim.stderr)")
        victim.signal(SIGKILL)
        victim.wait(timeout: 5)
        return victim.pid
    }

    /// kill -9 leaves callbacks copying into a dead ring; the next run must
    /// disable them, free the dead pid's ring and pool, and capture normally.
    @Test func killedCaptureIsReclaimedByTheNextRun() throws {
        try Harness.checkPrerequisites()
        let testbed = try Testbed.start("null", prefix: "it-reclaim")
        defer { testbed.stop() }
        let victim = try Self.killCaptureMidRun(testbed)

        let before = try Self.copied(testbed)
        usleep(200_000)
        #expect(try Self.copied(testbed) > before, "the dead capture's callbacks should still be running")

        let next = try Harness.dpdkscope(["probe", "--file-prefix", testbed.prefix, "--duration", "0.5"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("reclaimed the ring and pool of dead dpdkscope pid \(victim) (4 stale callback(s) disabled)"))
        let after = try Self.copied(testbed)
        usleep(200_000)
        #expect(try Self.copied(testbed) == after, "no callback may remain after the reclaim and the clean probe")
        #expect(testbed.isAlive)
    }

    /// With `ring_mp_mc` pools (dpdk-dumpcap's), about one kill in ten at
    /// full rate died inside a free into the pool's ring and left the
    /// primary's forwarding lcore spinning for good: its counters froze.
    /// The default lock-free pool must survive every kill; twelve kills
    /// caught the ring's hang with a probability of about 0.7 here
    /// (`DPDKSCOPE_TEST_POOL_OPS=ring_mp_mc` runs it against the ring).
    @Test func repeatedKillsNeverStallThePrimary() throws {
        let options = ProcessInfo.processInfo.environment["DPDKSCOPE_TEST_POOL_OPS"].map { ["--pool-ops", $0] } ?? []
        try Harness.checkPrerequisites()
        let testbed = try Testbed.start("null", prefix: "it-kills")
        defer { testbed.stop() }
        for round in 1...12 {
            // Kills in the ring-full steady state, where the primary frees too.
            let victim = try Self.killCaptureMidRun(testbed, settle: 2, options: options)
            let before = try Self.copied(testbed)
            usleep(200_000)
            let after = try Self.copied(testbed)
            #expect(after > before, "kill \(round): the primary stopped copying (\(before) -> \(after)): its lcore is stuck")
            if after <= before { break }
            // Reclaimed by a clean capture, so the next victim starts with
            // no callback installed (see killCaptureMidRun).
            let next = try Harness.dpdkscope(["probe", "--file-prefix", testbed.prefix, "--duration", "0.2"])
            #expect(next.status == 0 && next.stderr.contains("dead dpdkscope pid \(victim)"), "\(next.stderr)")
        }
        #expect(testbed.isAlive)
    }
}
