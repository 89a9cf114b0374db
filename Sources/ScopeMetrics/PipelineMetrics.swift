import Prometheus

/// Counters keyed by a name the caller supplies with each cumulative
/// sample (a decoder error reason, an analyzer counter name). Each name
/// keeps its own last value; names past `maxNames` are ignored, and label
/// values past the label cap share the "other" series.
struct NamedCumulativeCounters {
    static let maxNames = 1_024
    private var counters: [String: CumulativeCounter] = [:]
    /// The names in order of first sight, which decided who got a label
    /// value of its own before the cap.
    private var names: [String] = []
    private var makeCounter: (String) -> Counter

    init(makeCounter: @escaping (String) -> Counter) { self.makeCounter = makeCounter }

    mutating func update(_ name: String, to value: UInt64, source: Int = 0) {
        if counters[name] == nil {
            guard counters.count < Self.maxNames else { return }
            counters[name] = CumulativeCounter(makeCounter(name))
            names.append(name)
        }
        counters[name]?.update(to: value, source: source)
    }

    /// New label caps (a reload): every name known so far is labelled again
    /// in its order of first sight, and keeps its sources' last values.
    mutating func relabel(_ makeCounter: @escaping (String) -> Counter) {
        self.makeCounter = makeCounter
        for name in names {
            if let old = counters[name] { counters[name] = old.feeding(makeCounter(name)) }
        }
    }
}

/// Decoder errors by reason, and the flow table.
struct DecoderMetrics {
    private var errors: NamedCumulativeCounters
    private var flowsCreated: CumulativeCounter
    private var flowsEvicted: CumulativeCounter
    private let flowsActive: Gauge
    /// Each source's flow count: the gauge shows their sum.
    private var activeBySource: [Int] = [0]

    init(registry: PrometheusCollectorRegistry, labelCap: Int) {
        errors = NamedCumulativeCounters(makeCounter: Self.errorCounters(registry, labelCap))
        flowsCreated = CumulativeCounter(registry.counter(MetricFamilies.flowsCreated))
        flowsEvicted = CumulativeCounter(registry.counter(MetricFamilies.flowsEvicted))
        flowsActive = registry.gauge(MetricFamilies.flowsActive)
    }

    /// The error counter of each reason, values past `labelCap` sharing "other".
    private static func errorCounters(_ registry: PrometheusCollectorRegistry, _ labelCap: Int) -> (String) -> Counter {
        var reasons = LabelSlots(cap: labelCap)
        return { reason in
            let slot = reasons.slot(for: LabelValue.sanitized(reason, maxLength: 64))
            return registry.counter(MetricFamilies.decoderErrors, [("reason", reasons.value(slot))])
        }
    }

    mutating func relabel(registry: PrometheusCollectorRegistry, labelCap: Int) {
        errors.relabel(Self.errorCounters(registry, labelCap))
    }

    mutating func update(errorsByReason: [(reason: String, count: UInt64)], flowsActive active: Int,
                         flowsCreated created: UInt64, flowsEvicted evicted: UInt64, source: Int = 0) {
        guard source >= 0, source < CumulativeCounter.maxSources else { return }
        for (reason, count) in errorsByReason { errors.update(reason, to: count, source: source) }
        if source >= activeBySource.count { activeBySource += repeatElement(0, count: source + 1 - activeBySource.count) }
        activeBySource[source] = max(0, active)
        flowsActive.set(to: activeBySource.reduce(0.0) { $0 + Double($1) })
        flowsCreated.update(to: created, source: source)
        flowsEvicted.update(to: evicted, source: source)
    }
}

/// `AnalysisEngine.statsFields` as one counter family: "http_requests"
/// becomes `{protocol="http",counter="requests"}`, "tcp_stream_gaps"
/// `{protocol="tcp",counter="stream_gaps"}`. One family with labels rather
/// than a family per field keeps the catalogue fixed as analyzers add
/// counters, and lets PromQL sum over protocols.
struct AnalyzerMetrics {
    private var fields: NamedCumulativeCounters

    init(registry: PrometheusCollectorRegistry, labelCap: Int) {
        fields = NamedCumulativeCounters(makeCounter: Self.fieldCounters(registry, labelCap))
    }

    /// Each field's counter; counter names past four times `labelCap` share "other".
    private static func fieldCounters(_ registry: PrometheusCollectorRegistry, _ labelCap: Int) -> (String) -> Counter {
        var counters = LabelSlots(cap: labelCap * 4)
        return { name in
            let (proto, counter) = Self.split(name)
            let slot = counters.slot(for: LabelValue.sanitized(counter, maxLength: 64))
            return registry.counter(MetricFamilies.analyzer,
                                    [("protocol", LabelValue.sanitized(proto)), ("counter", counters.value(slot))])
        }
    }

    mutating func relabel(registry: PrometheusCollectorRegistry, labelCap: Int) {
        fields.relabel(Self.fieldCounters(registry, labelCap))
    }

    mutating func update(_ values: [(String, UInt64)], source: Int = 0) {
        for (name, value) in values { fields.update(name, to: value, source: source) }
    }

    /// At the first "_": ("http", "unmatched_requests"); a name without
    /// one has no protocol part.
    static func split(_ name: String) -> (proto: String, counter: String) {
        guard let underscore = name.firstIndex(of: "_") else { return ("none", name) }
        return (String(name[..<underscore]), String(name[name.index(after: underscore)...]))
    }
}
