import Foundation
import Prometheus

/// One export output's cumulative counts (ScopeExport's `ExportCounts`,
/// passed as plain numbers so this module needs nothing of it).
public struct OutputSample: Sendable {
    public var output: String
    public var sent: UInt64
    public var retried: UInt64
    public var spooled: UInt64
    public var dropped: UInt64

    public init(output: String, sent: UInt64, retried: UInt64, spooled: UInt64, dropped: UInt64) {
        self.output = output
        self.sent = sent
        self.retried = retried
        self.spooled = spooled
        self.dropped = dropped
    }
}

extension MetricFamilies {
    static let outputSent = MetricFamily(
        name: "dpdkscope_output_sent_total",
        help: "Records an export output delivered to its backend (label output: otlp_traces, otlp_logs).")
    static let outputRetried = MetricFamily(
        name: "dpdkscope_output_retried_total",
        help: "Export requests that failed in a way worth retrying (refused, timed out, 429, 502, 503, 504).")
    static let outputSpooled = MetricFamily(
        name: "dpdkscope_output_spooled_total",
        help: "Records an export output put in its spool to wait for the backend.")
    static let outputDropped = MetricFamily(
        name: "dpdkscope_output_dropped_total",
        help: "Records an export output lost: queue full, spool past its bound (oldest first), rejected by the backend, unsent at exit without a spool.")
}

/// The export outputs' counters, read from their owner at every scrape
/// (`AgentMetrics.outputSource`). A lock of its own: a scrape never takes
/// the capture loops' writer lock.
final class OutputMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private let registry: PrometheusCollectorRegistry
    private var series: [String: [CumulativeCounter]] = [:]

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func update(_ samples: [OutputSample]) {
        lock.lock()
        defer { lock.unlock() }
        for sample in samples.prefix(64) {
            var counters = series[sample.output] ?? [
                MetricFamilies.outputSent, MetricFamilies.outputRetried, MetricFamilies.outputSpooled,
                MetricFamilies.outputDropped,
            ].map { CumulativeCounter(registry.counter($0, [("output", sample.output)])) }
            for (index, value) in [sample.sent, sample.retried, sample.spooled, sample.dropped].enumerated() {
                counters[index].update(to: value)
            }
            series[sample.output] = counters
        }
    }
}
