import Foundation

/// What one output did with its records, for `/metrics`
/// (`dpdkscope_output_*_total{output=…}`) and the exit summary.
public struct ExportCounts: Sendable, Equatable {
    /// Records the backend accepted.
    public var sent: UInt64 = 0
    /// Requests that failed in a way worth trying again (refused, 429, 5xx).
    public var retried: UInt64 = 0
    /// Records written to the spool (or the in-memory backlog) to wait.
    public var spooled: UInt64 = 0
    /// Records lost, for any reason: queue full, spool past its bound,
    /// rejected by the backend, left unsent at exit with no spool.
    public var dropped: UInt64 = 0

    public init() {}
}

/// Counters shared between the exporter's thread (writes) and whoever
/// reads them (`/metrics`, tests).
public final class ExportCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = ExportCounts()

    public init() {}

    public var snapshot: ExportCounts {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }

    func add(_ change: (inout ExportCounts) -> Void) {
        lock.lock()
        change(&counts)
        lock.unlock()
    }
}
