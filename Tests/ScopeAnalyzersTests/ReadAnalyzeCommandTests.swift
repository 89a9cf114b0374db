import Foundation
import Testing
import ScopeTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `dpdkscope read FILE --proto/--analyze` end to end. Skipped when the
/// binary is not built, or built without the analyzers (the dpdkscope target
/// needs the ScopeAnalyzers dependency and the DPDKSCOPE_ANALYZERS define).
@Suite(.enabled(if: AnalyzeCLI.analyzersBuiltIn, "dpdkscope is not built with ScopeAnalyzers"))
struct ReadAnalyzeCommandTests {
    static func dpdkscope(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try AnalyzeCLI.dpdkscope(arguments)
    }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }
    @Test func jsonTransactionsAndStats() throws {
        let run = try Self.dpdkscope(["read", CaptureOracle.path("http.pcap"), CaptureOracle.path("dns.pcap"),
                                      "--proto", "http:80;dns:53", "--json", "--stats"])
        #expect(run.status == 0, "\(run.stderr)")
        let objects = try Self.lines(run.stdout).map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let events = objects.filter { $0["type"] as? String != "stats" }
        // Content detection finds port 9000 (HTTP) and 5300/5399 (DNS) too.
        #expect(events.filter { $0["type"] as? String == "http" }.count == 17)
        #expect(events.filter { $0["type"] as? String == "dns" }.count == 13)
        let stats = try #require(objects.last)
        #expect(stats["type"] as? String == "stats")
        #expect(stats["http_matched"] as? Int == 17 && stats["http_interim_responses"] as? Int == 1)
        #expect(stats["dns_matched"] as? Int == 12 && stats["dns_unmatched_requests"] as? Int == 1)
        #expect(stats["tcp_stream_gaps"] as? Int == 0)
    }

    @Test func humanLinesPortsOnlyAndFlows() throws {
        let text = try Self.dpdkscope(["read", CaptureOracle.path("http.pcap"), "--proto", "http", "--ports-only"])
        let lines = Self.lines(text.stdout)
        #expect(text.status == 0 && lines.count == 16)
        #expect(lines.contains { $0.contains(" http ") && $0.hasSuffix("GET /nothing-here -> 404 Not Found") })
        let both = try Self.dpdkscope(["read", CaptureOracle.path("dns.pcap"), "--analyze", "--flows"])
        #expect(Self.lines(both.stdout).filter { $0.contains(" flow ") }.count > 0)
        #expect(Self.lines(both.stdout).filter { $0.contains(" dns ") }.count == 13)
    }

    /// `--proto grpc`: only gRPC calls, still `type: http2`, with http2's
    /// counters (it carries them) and the other streams counted unselected.
    @Test func grpcAloneFromTheCommandLine() throws {
        for (file, calls, unselected) in [("grpc.pcap", 8, nil), ("http2.pcap", 0, 205)] {
            let run = try Self.dpdkscope(["read", CaptureOracle.path(file), "--proto", "grpc", "--json", "--stats"])
            #expect(run.status == 0, "\(run.stderr)")
            let objects = try Self.lines(run.stdout).map {
                try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            let events = objects.filter { $0["type"] as? String != "stats" }
            #expect(events.count == calls)
            #expect(events.allSatisfy { $0["type"] as? String == "http2" && ($0["rpc"] as? [String: Any])?["system"] as? String == "grpc" })
            let stats = try #require(objects.last)
            #expect(stats["http2_transactions"] as? Int == calls && stats["http2_unselected"] as? Int == unselected)
            #expect(!stats.keys.contains { $0.hasPrefix("grpc_") })
        }
        let both = try Self.dpdkscope(["read", CaptureOracle.path("http2.pcap"), "--proto", "http2;grpc"])
        #expect(both.status == 0 && Self.lines(both.stdout).count == 205)
        let clash = try Self.dpdkscope(["read", CaptureOracle.path("grpc.pcap"), "--proto", "http:80;grpc:80"])
        #expect(clash.status == 2 && clash.stderr.contains("port 80 given for both http and grpc"))
    }

    /// The agent's `protocols.grpc`: in the reference, checked by --check-config.
    @Test func grpcInTheAgentConfiguration() throws {
        let reference = try Self.dpdkscope(["config", "--reference"])
        #expect(reference.status == 0 && reference.stdout.contains("\n  grpc:\n    enabled: true\n"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dpdkscope-grpc-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("good.yaml").path, bad = directory.appendingPathComponent("bad.yaml").path
        try "protocols:\n  http2: { enabled: false, ports: [8081] }\n  grpc: { enabled: true }\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "protocols:\n  grpc: { enabled: true, ports: [50051] }\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let accepted = try Self.dpdkscope(["agent", "--config", good, "--check-config"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let refused = try Self.dpdkscope(["agent", "--config", bad, "--check-config"])
        #expect(refused.status == 2 && refused.stderr.contains("protocols.grpc.ports: unknown key (known keys: enabled)"))
    }

    @Test func badSpecIsOneLineAndExitTwo() throws {
        let run = try Self.dpdkscope(["read", CaptureOracle.path("dns.pcap"), "--proto", "smtp:25"])
        #expect(run.status == 2 && Self.lines(run.stderr).count == 1 && run.stderr.contains("unknown protocol 'smtp'"))
    }
}

enum AnalyzeCLI {
    static let binary = DPDKScopeBinary.path

    static let analyzersBuiltIn: Bool = {
        // Scripts/test.sh runs every test: there a binary that cannot run fails them instead of skipping them.
        if ProcessInfo.processInfo.environment["DPDKSCOPE_REQUIRE_INTEGRATION"] == "1" { return true }
        guard access(binary, X_OK) == 0, let run = try? dpdkscope(["read", CaptureOracle.path("dns.pcap"), "--analyze"]) else {
            return false
        }
        return run.status == 0
    }()

    static func dpdkscope(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try Subprocess([binary] + arguments)
        let status = process.wait(timeout: 60)
        return (status, process.stdout, process.stderr)
    }
}
