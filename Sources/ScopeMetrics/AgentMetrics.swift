import Foundation
import Prometheus
import ScopeAnalyzers

/// Everything `dpdkscope agent` exports, in one swift-prometheus registry.
///
/// Threading: the writers are the agent's capture loops (one, or one per
/// worker lcore); they call `record` and the `update…` methods, which take
/// one lock per call, so a loop hands over its events in batches
/// (`record(_ events:)`) and its counters once a second — never a lock per
/// packet. The lock guards the writer-side caches (label slots, series,
/// the last value of each cumulative source). `exposition()` may run
/// concurrently on any other thread (the HTTP server's event loop) without
/// that lock: it only reads the registry, whose counters and gauges are
/// atomics and whose histograms and family table take a lock of their own
/// for a few instructions (a scrape copies, then renders outside it), so a
/// scrape never makes a capture loop wait on a client.
///
/// Loops report their cumulative decoder and analyzer counters as separate
/// sources (`source:`, the worker index): each source's own previous value
/// gives its delta, so a loop whose counters restart (a reload made it a
/// new engine) never skews what another loop counted.
///
/// One instance lives as long as the process: a reload of the label
/// settings changes it in place (`relabel`), so no counter ever goes back
/// to zero on `/metrics` or in what remote-write pushes.
public final class AgentMetrics: @unchecked Sendable {
    /// The label settings now in force.
    public var policy: MetricsLabelPolicy { writer.withLock { currentPolicy } }
    private var currentPolicy: MetricsLabelPolicy
    public let registry: PrometheusCollectorRegistry
    private let writer = WriterLock()
    private var protocols: [ApplicationProtocol: ProtocolSeries] = [:]
    /// Families protocols declare of their own, by registry index, made on first use.
    private var families: [ProtocolFamilySeries?] = Array(repeating: nil, count: ApplicationProtocol.allCases.count)
    /// What of the registry's families outlives a relabel.
    private let shapes = FamilyShapes()
    private var capture: CaptureMetrics
    private var decoder: DecoderMetrics
    private var analyzer: AnalyzerMetrics
    private let process: ProcessMetrics
    private let outputs: OutputMetrics
    /// The export outputs' cumulative counts, read at every scrape.
    public var outputSource: (@Sendable () -> [OutputSample])? {
        get {
            sourceLock.lock()
            defer { sourceLock.unlock() }
            return _outputSource
        }
        set {
            sourceLock.lock()
            _outputSource = newValue
            sourceLock.unlock()
        }
    }
    private var _outputSource: (@Sendable () -> [OutputSample])?
    private let sourceLock = NSLock()

    public init(policy: MetricsLabelPolicy = .init()) {
        currentPolicy = policy
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        capture = CaptureMetrics(registry: registry)
        decoder = DecoderMetrics(registry: registry, labelCap: policy.labelCap)
        analyzer = AnalyzerMetrics(registry: registry, labelCap: policy.labelCap)
        process = ProcessMetrics(registry: registry)
        outputs = OutputMetrics(registry: registry)
    }

    /// New label settings (a reload), applied in place. The registry and
    /// every series in it stay: a series the new settings still produce
    /// (same labels) counts on from its value; one they no longer produce
    /// (`server` turned off) keeps its last value until the process ends;
    /// a new one starts at zero, as any new series does. The label caches
    /// start empty under the new caps, so the caps bound each settings'
    /// series, and series of earlier settings come on top. Cumulative
    /// sources keep their last values: nothing is counted twice. A family
    /// without labels of its own keeps its first series' server setting
    /// (`FamilyShapes`).
    public func relabel(_ policy: MetricsLabelPolicy) {
        writer.withLock {
            guard policy != currentPolicy else { return }
            currentPolicy = policy
            protocols = [:]
            families = Array(repeating: nil, count: ApplicationProtocol.allCases.count)
            decoder.relabel(registry: registry, labelCap: policy.labelCap)
            analyzer.relabel(registry: registry, labelCap: policy.labelCap)
        }
    }

    /// One transaction event (cheap: see `ProtocolSeries`; one lock).
    public func record(_ event: TransactionEvent) {
        writer.withLock { recordLocked(event) }
    }

    /// A loop's batch of events under one lock.
    public func record(_ events: [TransactionEvent]) {
        guard !events.isEmpty else { return }
        writer.withLock {
            for event in events { recordLocked(event) }
        }
    }

    /// Cumulative pdump and capture-loop counters, one sample per capture
    /// tuple, about once a second. Counters advance by the difference from
    /// the previous sample; a value that went down means the capture
    /// restarted, and counts from zero again. Each tuple belongs to one
    /// loop, so loops never feed the same series.
    public func updateCapture(_ samples: [CaptureSample]) {
        writer.withLock { capture.update(samples) }
    }

    /// Cumulative decoder error counts by reason, and the flow table, of
    /// one loop (`source`: its worker index; 0 for a single loop). The
    /// exported flow gauge is the sum over sources.
    public func updateDecoder(errorsByReason: [(reason: String, count: UInt64)], flowsActive: Int,
                              flowsCreated: UInt64, flowsEvicted: UInt64, source: Int = 0) {
        writer.withLock {
            decoder.update(errorsByReason: errorsByReason, flowsActive: flowsActive,
                           flowsCreated: flowsCreated, flowsEvicted: flowsEvicted, source: source)
        }
    }

    /// Cumulative analyzer counters as `AnalysisEngine.statsFields` lists
    /// them, of one loop (`source` as for `updateDecoder`).
    public func updateAnalyzer(_ fields: [(String, UInt64)], source: Int = 0) {
        writer.withLock { analyzer.update(fields, source: source) }
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
        if let source = outputSource { outputs.update(source()) }
        return registry.emitToBuffer()
    }

    private func recordLocked(_ event: TransactionEvent) {
        series(for: event.application).record(event)
        let index = event.application.registryIndex
        if let own = families[index] {
            own.record(event)
        } else if let declared = event.application.definition.metrics {
            let own = ProtocolFamilySeries(declared, registry: registry, policy: currentPolicy, shapes: shapes)
            families[index] = own
            own.record(event)
        }
    }

    private func series(for application: ApplicationProtocol) -> ProtocolSeries {
        if let series = protocols[application] { return series }
        let series = ProtocolSeries(name: application.rawValue, registry: registry, policy: currentPolicy)
        protocols[application] = series
        return series
    }
}
