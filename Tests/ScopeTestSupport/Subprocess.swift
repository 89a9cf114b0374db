import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn + waitpid. Foundation's Process can miss a child's exit when
/// that child left grandchildren behind (the testbed's testpmd), and pipes
/// never reach EOF while a daemonised grandchild holds them; output therefore
/// goes to temporary files and exits are collected with waitpid.
public final class Subprocess {
    public let pid: pid_t
    let stdoutPath: String
    let stderrPath: String
    public private(set) var status: Int32?

    /// - Parameters:
    ///   - environment: added to ours, or with `replacingEnvironment` the
    ///     child's whole environment (for tools whose output depends on it).
    public init(_ arguments: [String], environment: [String: String] = [:], replacingEnvironment: Bool = false) throws {
        let stamp = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        stdoutPath = "/tmp/dpdkscope-it-\(stamp).out"
        stderrPath = "/tmp/dpdkscope-it-\(stamp).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let base = replacingEnvironment ? [:] : ProcessInfo.processInfo.environment
        let env = base.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        var cArgs = arguments.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        // The test runner blocks signals on its threads; a child must start
        // with none blocked and default handlers, or SIGTERM never reaches it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child = pid_t()
        let rc = posix_spawnp(&child, arguments[0], &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else { throw SubprocessError(message: "cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        pid = child
    }

    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = Self.decode(raw)
            return false
        }
        return true
    }

    /// Waits up to `timeout` seconds, then SIGKILLs. Returns the exit code
    /// (128 + signal for a signalled child).
    @discardableResult
    public func wait(timeout: Double = .infinity) -> Int32 {
        if !exits(within: timeout) {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
            status = Self.decode(raw)
        }
        return status ?? -1
    }

    /// Waits up to `timeout` seconds without killing: whether it exited.
    public func exits(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(5_000) }
        return !isRunning
    }

    public func signal(_ sig: Int32) { if isRunning { kill(pid, sig) } }

    /// Waits up to `timeout` seconds for `text` on stderr (a readiness line
    /// such as capture's "Capturing on"): whether it came. Gives up early
    /// when the process exits without it.
    @discardableResult
    public func waitForStderr(_ text: String, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if !isRunning { return stderr.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Every thread's stack while it still runs (gdb, when installed), for
    /// the message of a test that found it hung; empty once it has exited.
    public func stacks() -> String {
        guard isRunning else { return "" }
        let gdb = try? Subprocess(["gdb", "-p", "\(pid)", "-batch", "-ex", "thread apply all bt"])
        guard let gdb else { return "(no gdb to show where it hung)" }
        gdb.wait(timeout: 60)
        return gdb.stdout.split(separator: "\n").filter { $0.hasPrefix("#") || $0.hasPrefix("Thread") }.joined(separator: "\n")
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    deinit {
        if isRunning { kill(pid, SIGKILL); var raw: Int32 = 0; waitpid(pid, &raw, 0) }
        unlink(stdoutPath)
        unlink(stderrPath)
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }
}

public struct SubprocessError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
