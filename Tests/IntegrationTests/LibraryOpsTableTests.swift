import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The other place the ops table can live: a primary without a copy
    /// relocation keeps it in librte_mempool.so, at load base + st_value.
    @Suite struct LibraryOpsTable {
        @Test func alignsWithATableInsideLibrteMempool() throws {
            try Harness.checkPrerequisites()
            let binary = "/tmp/dpdkscope-mini-primary-\(getpid())"
            defer { unlink(binary) }
            try Harness.buildFixturePrimary("mini-primary.c", into: binary)
            let symbols = try Harness.run(["nm", "-D", binary])
            #expect(!symbols.stdout.contains("B rte_mempool_ops_table"), "fixture must not carry a copy relocation")

            let prefix = Harness.prefix("it-lib")
            let primary = try Subprocess([binary, "-l", "1", "--no-pci", "--no-telemetry", "-m", "128",
                                          "--file-prefix", prefix, "--vdev", "net_null0"])
            defer {
                primary.signal(SIGTERM)
                primary.wait(timeout: 5)
                // EAL leaves its hugepage files (and so the pages) behind.
                _ = try? Harness.run(["sh", "-c", "rm -f /dev/hugepages/\(prefix)map_*"])
                try? FileManager.default.removeItem(atPath: "/var/run/dpdk/\(prefix)")
            }
            for _ in 0..<100 where !primary.stdout.contains("forwarding") { usleep(100_000) }
            try #require(primary.stdout.contains("forwarding"), "mini-primary did not start: \(primary.stderr)")

            let probe = try Harness.dpdkscope(["probe", "--file-prefix", prefix, "--log-level", "debug"])
            #expect(probe.status == 0, "\(probe.stderr.suffix(500))")
            // Debian's library, or a release's built from source (its install's lib directory).
            #expect(probe.stderr.range(of: #"table=/\S*/librte_mempool\.so"#, options: .regularExpression) != nil,
                    "ops table not found in the library")
            let line = try #require(probe.stdout.split(separator: "\n").first { $0.contains("net_null0") })
            #expect(line.contains("nombuf=0"))
            let dequeued = probe.stdout.split(separator: " ").first { $0.hasPrefix("dequeued=") }.flatMap { Int($0.dropFirst(9)) } ?? 0
            #expect(dequeued > 0)
        }
    }
}
