import Foundation
import Testing
import ScopeTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `read --proto` renders transactions on a second thread by default: the
/// output must be byte for byte what the one-thread path prints, in batches
/// far past one hand-over, and a failed write must still end the command
/// with one line and exit 1 (a closed pipe: quietly, exit 0).
@Suite(.enabled(if: AnalyzeCLI.analyzersBuiltIn, "dpdkscope is not built with ScopeAnalyzers"))
struct ReadOutputThreadTests {
    /// Every fixture, twice: about 14,000 transactions of all seven
    /// protocols, so batches of 1024 change hands many times.
    static var manyFiles: [String] {
        let fixtures = ["http.pcap", "dns.pcap", "redis.pcap", "pgsql.pcap", "mysql.pcap", "memcache.pcap", "icmp.pcap"]
        return Array(repeating: fixtures.map(CaptureOracle.path), count: 2).flatMap { $0 }
    }

    @Test(arguments: [["--json"], []])
    func threadedOutputEqualsInline(format: [String]) throws {
        let arguments = ["read"] + Self.manyFiles + ["--analyze", "--stats"] + format
        let threaded = try AnalyzeCLI.dpdkscope(arguments + ["--output-thread"])
        let inline = try AnalyzeCLI.dpdkscope(arguments + ["--no-output-thread"])
        #expect(threaded.status == 0 && inline.status == 0, "\(threaded.stderr) \(inline.stderr)")
        let lines = threaded.stdout.split(separator: "\n")
        #expect(lines.count > 8 * 1024, "too few transactions to cross several hand-overs: \(lines.count)")
        #expect(threaded.stdout == inline.stdout)
        // The counters come last, after every transaction was written.
        #expect(lines.last.map { $0.contains("http_transactions=") || $0.contains("\"http_transactions\"") } == true)
    }

    @Test(arguments: ["--output-thread", "--no-output-thread"])
    func fullDiskIsOneLineAndExitOne(mode: String) throws {
        let run = try Self.shell(#""$0" read "$@" > /dev/full"#, Self.manyFiles + ["--analyze", "--json", mode])
        #expect(run.status == 1)
        #expect(run.stderr == "dpdkscope: cannot write to standard output: No space left on device\n")
    }

    @Test(arguments: ["--output-thread", "--no-output-thread"])
    func closedPipeEndsQuietly(mode: String) throws {
        // head leaves after one line; the rest cannot be written.
        let run = try Self.shell(#"set -o pipefail; "$0" read "$@" | head -n 1 >/dev/null"#,
                                 Self.manyFiles + ["--analyze", "--json", mode])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
    }

    /// `script` runs under bash with the binary as $0 and `arguments` as $@.
    static func shell(_ script: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = try Subprocess(["/bin/bash", "-c", script, AnalyzeCLI.binary] + arguments)
        return (process.wait(timeout: 120), process.stderr)
    }
}

/// Ctrl-C (or SIGTERM) stops a long `read` at once: what was read so far is
/// still analysed and printed, and it exits 0 with one line on stderr.
@Suite(.enabled(if: AnalyzeCLI.analyzersBuiltIn, "dpdkscope is not built with ScopeAnalyzers"))
struct ReadInterruptTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func signalStopsTheReadAndKeepsWhatWasRead(signal: Int32) throws {
        // Hundreds of megabytes: far longer than the test waits.
        let files = Array(repeating: CaptureOracle.path("redis.pcap"), count: 400)
        let process = try Subprocess([AnalyzeCLI.binary, "read"] + files + ["--proto", "redis", "--json"])
        // Signalled once transactions are coming out (a loaded machine starts slowly).
        for _ in 0..<400 where process.stdout.isEmpty { usleep(50_000) }
        process.signal(signal)
        let started = DispatchTime.now()
        let status = process.wait(timeout: 30)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        #expect(status == 0)
        #expect(seconds < 2, "took \(seconds) s to stop")
        #expect(process.stderr.hasPrefix("dpdkscope: interrupted: stopped after ") && process.stderr.hasSuffix(" packets\n"),
                "\(process.stderr)")
        let lines = process.stdout.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
    }
}
