import Foundation

/// What one output did with its records, for `/metrics`
/// (`dpdkscope_output_*_total{output=…}`) and the exit summary.
public struct ExportCounts: Sendable, Equatable {
    /// Records the backend accepted.
    public var sent: UInt64 = 0
    /// Requests that failed in a way worth trying again (refused, 429, 5xx).
    public var retried: UInt64 = 0
    /// Records written to the spool (or the in-memory backlog) to wait.
    /// A flow, not a level: a record spooled and later sent counts here
    /// and in `sent` (also one the relief thread spooled while its own
    /// request was still under way, `Exporter.spillQueued`).
    public var spooled: UInt64 = 0
    /// Records lost, for any reason: queue full, spool past its bound,
    /// rejected by the backend, left unsent at exit with no spool.
    public var dropped: UInt64 = 0

    public init() {}
}

/// Counters shared between the exporter's thread (writes) and whoever
/// reads them (`/metrics`, tests). They outlive their exporter across a
/// reload (`byOutput`): Prometheus counters must only grow, and a reset
/// reads as a counter restart to `rate()`.
public final class ExportCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = ExportCounts()

    public init() {}

    /// The counters of `exporters` by output name, for the outputs a reload
    /// creates in their place: an output still configured under the same
    /// name counts on from where its predecessor stopped.
    public static func byOutput(_ exporters: [Exporter]) -> [String: ExportCounters] {
        Dictionary(exporters.map { ($0.settings.name, $0.counters) }, uniquingKeysWith: { first, _ in first })
    }

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
