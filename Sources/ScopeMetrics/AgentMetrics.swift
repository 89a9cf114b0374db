import Prometheus
import ScopeAnalyzers

/// Everything `dpdkscope agent` exports, in one swift-prometheus registry.
///
/// Threading: one writer thread (the capture thread) calls `record` and the
/// `update…` methods; `exposition()` may run concurrently on any other
/// thread (the HTTP server's event loop). The writer-side caches are touched
/// by the writer only; what the two sides share is the registry, whose
/// counters and gauges are atomics and whose histograms and family table
/// take a lock for a few instructions (a scrape copies, then renders
/// outside the lock), so the capture thread never waits on a client.
public final class AgentMetrics: @unchecked Sendable {
    public let policy: MetricsLabelPolicy
    public let registry: PrometheusCollectorRegistry
    private var protocols: [ApplicationProtocol: ProtocolSeries] = [:]
    private var capture: CaptureMetrics
    private var decoder: DecoderMetrics
    private var analyzer: AnalyzerMetrics
    private let process: ProcessMetrics

    public init(policy: MetricsLabelPolicy = .init()) {
        self.policy = policy
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        capture = CaptureMetrics(registry: registry)
        decoder = DecoderMetrics(registry: registry, labelCap: policy.labelCap)
        analyzer = AnalyzerMetrics(registry: registry, labelCap: policy.labelCap)
        process = ProcessMetrics(registry: registry)
    }

    /// One transaction event (capture thread; cheap: see `ProtocolSeries`).
    public func record(_ event: TransactionEvent) {
        series(for: event.application).record(event)
    }

    /// Cumulative pdump and capture-loop counters, one sample per capture
    /// tuple, about once a second. Counters advance by the difference from
    /// the previous sample; a value that went down means the capture
    /// restarted, and counts from zero again.
    public func updateCapture(_ samples: [CaptureSample]) {
        capture.update(samples)
    }

    /// Cumulative decoder error counts by reason, and the flow table.
    public func updateDecoder(errorsByReason: [(reason: String, count: UInt64)], flowsActive: Int,
                              flowsCreated: UInt64, flowsEvicted: UInt64) {
        decoder.update(errorsByReason: errorsByReason, flowsActive: flowsActive,
                       flowsCreated: flowsCreated, flowsEvicted: flowsEvicted)
    }

    /// Cumulative analyzer counters as `AnalysisEngine.statsFields` lists them.
    public func updateAnalyzer(_ fields: [(String, UInt64)]) {
        analyzer.update(fields)
    }

    /// Resident memory and uptime. Gauges only: safe from any thread, and
    /// every scrape calls it too.
    public func updateProcess() {
        process.update()
    }

    /// The Prometheus text format (version 0.0.4) of every metric.
    public func exposition() -> String {
        String(decoding: expositionBytes(), as: UTF8.self)
    }

    /// `exposition()` as UTF-8 bytes, for the HTTP server.
    public func expositionBytes() -> [UInt8] {
        process.update()
        return registry.emitToBuffer()
    }

    private func series(for application: ApplicationProtocol) -> ProtocolSeries {
        if let series = protocols[application] { return series }
        let series = ProtocolSeries(name: application.rawValue, registry: registry, policy: policy)
        protocols[application] = series
        return series
    }
}
