import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs tshark/capinfos as independent oracles: posix_spawn + waitpid with
/// output in temporary files (Foundation's Process.waitUntilExit can hang in
/// this sandbox when a child leaves grandchildren; files also avoid pipe
/// deadlocks on large output).
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
        let stamp = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let outPath = "/tmp/scopepcap-tool-\(stamp).out", errPath = "/tmp/scopepcap-tool-\(stamp).err"
        defer { unlink(outPath); unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // Fixed locale and time zone so the tools' output is predictable.
        let environment = ["PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC", "HOME=/tmp"]
        var cArgs = arguments.map { strdup($0) } + [nil]
        var cEnv = environment.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, arguments[0], &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else { throw ToolError(message: "cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        return ToolResult(status: status,
                          stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    static func tshark(_ arguments: [String]) throws -> ToolResult { try run(["tshark"] + arguments) }
    static func capinfos(_ arguments: [String]) throws -> ToolResult { try run(["capinfos"] + arguments) }
}

struct ToolError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
