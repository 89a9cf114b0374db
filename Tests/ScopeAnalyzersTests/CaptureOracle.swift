import Foundation
@testable import ScopeAnalyzers
import ScopeDecode
import ScopePcap
import ScopeTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs the real captures through the same path `dpdkscope read` uses
/// (CaptureFileReader → PacketPipeline → AnalysisEngine), and asks tshark
/// about the same files.
enum CaptureOracle {
    static let directory = FixtureAnalysis.directory
    static let tsharkAvailable = access("/usr/bin/tshark", X_OK) == 0

    static func path(_ name: String) -> String { directory + "/" + name }

    struct Analysis {
        var events: [TransactionEvent]
        var engine: AnalysisEngine
        func counters(_ proto: ApplicationProtocol) -> AnalyzerCounters { engine.counters(for: proto) }
    }

    static func analyze(_ name: String, configuration: AnalyzerConfiguration = AnalyzerConfiguration()) throws -> Analysis {
        let analysis = try FixtureAnalysis.analyze(name, configuration: configuration)
        return Analysis(events: analysis.events, engine: analysis.engine)
    }

    /// `tshark -T fields` rows (tab-separated columns).
    static func tshark(_ name: String, _ arguments: [String]) throws -> [[String]] {
        let process = try Subprocess(["/usr/bin/tshark", "-r", path(name)] + arguments + ["-T", "fields"],
                                     environment: ["LC_ALL": "C"])
        let status = process.wait(timeout: 60)
        guard status == 0 else { throw OracleError(description: "tshark failed (\(status)): \(process.stderr)") }
        return process.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// tshark's whole output (`-T pdml`, `-V`): for what fields print as numbers.
    static func tsharkOutput(_ name: String, _ arguments: [String]) throws -> String {
        let process = try Subprocess(["/usr/bin/tshark", "-r", path(name)] + arguments, environment: ["LC_ALL": "C"])
        let status = process.wait(timeout: 60)
        guard status == 0 else { throw OracleError(description: "tshark failed (\(status)): \(process.stderr)") }
        return process.stdout
    }

    /// Status codes in the order the server sent them on one TCP stream,
    /// read from the reassembled stream text (`-z follow`), independent of
    /// tshark's HTTP request/response pairing.
    static func statusLines(_ name: String, stream: String) throws -> [Int] {
        let process = try Subprocess(["/usr/bin/tshark", "-r", path(name), "-q", "-z", "follow,tcp,ascii,\(stream)"])
        _ = process.wait(timeout: 60)
        return process.stdout.split(separator: "\n").compactMap { line in
            line.hasPrefix("HTTP/1.") ? Int(line.split(separator: " ")[1]) : nil
        }
    }
}

struct OracleError: Error, CustomStringConvertible {
    var description: String
}
