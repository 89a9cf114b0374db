/// Process exit codes, documented in README.md ("Exit codes"). Scripts and
/// supervisors depend on these numbers, so they never change meaning.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The command did what it was asked.
    case success = 0
    /// A runtime failure: the output cannot be written (disk full, quota,
    /// I/O error), `read` found no packet of a link type it decodes, or
    /// something we did not foresee.
    case failure = 1
    /// Bad usage or an attach precondition failed: unknown flag, no primary,
    /// no hugepages, not root, DPDK version mismatch, pdump not initialised
    /// in the primary, unknown port.
    case usageOrAttach = 2
    /// The primary process exited while we were attached.
    case primaryExited = 3
    /// Capture was enabled but the primary cannot deliver packets to us
    /// (every copy fails: mempool ops mismatch, DPDK bug 1073).
    case captureBroken = 4
    /// A capture for that port/queue is already enabled by another process.
    case alreadyCapturing = 5
    /// The agent's export spool directory is held by another agent.
    case spoolInUse = 6

    public var summary: String {
        switch self {
        case .success: "success"
        case .failure: "runtime failure (e.g. the output cannot be written: disk full)"
        case .usageOrAttach: "usage error or attach precondition failed"
        case .primaryExited: "the DPDK primary process exited"
        case .captureBroken: "the primary cannot copy packets into our pool (mempool ops mismatch)"
        case .alreadyCapturing: "port/queue already captured by another process"
        case .spoolInUse: "the export spool directory is in use by another agent"
        }
    }
}

/// An error that ends the command with one line on stderr and an exit code.
public struct ScopeError: Error, CustomStringConvertible, Sendable {
    public var status: ExitStatus
    public var message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}
