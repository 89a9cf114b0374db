import Foundation
import ScopeTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs tshark/capinfos as independent oracles (through Subprocess, which
/// also explains why not Foundation's Process).
struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// stderr without the harmless banner tshark prints when run as root.
    var warnings: String {
        stderr.split(separator: "\n").filter { !$0.contains("Running as user \"root\"") }.joined(separator: "\n")
    }

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

enum ToolRunner {
    static func run(_ arguments: [String]) throws -> ToolResult {
        // Fixed locale and time zone so the tools' output is predictable.
        let child = try Subprocess(arguments, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC", "HOME": "/tmp"],
                                   replacingEnvironment: true)
        let status = child.wait()
        return ToolResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    static func tshark(_ arguments: [String]) throws -> ToolResult { try run(["tshark"] + arguments) }
    static func capinfos(_ arguments: [String]) throws -> ToolResult { try run(["capinfos"] + arguments) }
}
