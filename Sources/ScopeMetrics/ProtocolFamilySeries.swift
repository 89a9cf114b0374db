import Prometheus
import ScopeAnalyzers

/// The families one protocol declares of its own (`ProtocolMetrics`),
/// exported without knowing the protocol: each label value becomes a slot
/// number on first sight (values past the label cap fold into "other"), and
/// each family's series are cached under their slots, so an observation
/// costs a few hash lookups and an atomic add once its series exists. Past
/// the series cap, a family's new combinations fold into all-"other".
final class ProtocolFamilySeries {
    private struct SeriesKey: Hashable {
        var family: Int32
        var slots: (Int32, Int32, Int32, Int32)
        var server: Int32

        static func == (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
            lhs.family == rhs.family && lhs.server == rhs.server && lhs.slots.0 == rhs.slots.0
                && lhs.slots.1 == rhs.slots.1 && lhs.slots.2 == rhs.slots.2 && lhs.slots.3 == rhs.slots.3
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(family)
            hasher.combine(slots.0)
            hasher.combine(slots.1)
            hasher.combine(slots.2)
            hasher.combine(slots.3)
            hasher.combine(server)
        }
    }

    private let metrics: ProtocolMetrics
    private let registry: PrometheusCollectorRegistry
    private let policy: MetricsLabelPolicy
    /// Per family, per label.
    private var labelSlots: [[LabelSlots]]
    private var servers: KeyedLabelSlots<ServerKey>
    private var seriesCount: [Int]
    private var counters: [SeriesKey: Counter] = [:]
    private var gauges: [SeriesKey: Gauge] = [:]
    private var histograms: [SeriesKey: DurationHistogram] = [:]
    private var observations = ProtocolMetrics.Observations()
    /// Per family: whether it carries the server label, for those whose
    /// answer outlives a reload (see `FamilyShapes`); nil for the others.
    private var fixedServer: [Bool?]

    init(_ metrics: ProtocolMetrics, registry: PrometheusCollectorRegistry, policy: MetricsLabelPolicy,
         shapes: FamilyShapes = FamilyShapes()) {
        self.metrics = metrics
        self.registry = registry
        self.policy = policy
        let cap = policy.labelCap
        labelSlots = metrics.families.map { family in family.labels.map { _ in LabelSlots(cap: cap) } }
        servers = KeyedLabelSlots(cap: cap)
        seriesCount = Array(repeating: 0, count: metrics.families.count)
        fixedServer = metrics.families.map { family in
            family.labels.isEmpty && family.server == .whenOptedIn
                ? shapes.serverLabel(family.name, wanted: policy.serverLabel) : nil
        }
    }

    func record(_ event: TransactionEvent) {
        observations.removeAll()
        metrics.observe(event, &observations)
        for observation in observations.list {
            let index = observation.family
            guard metrics.families.indices.contains(index) else { continue }
            let family = metrics.families[index]
            var key = SeriesKey(family: Int32(index), slots: (0, 0, 0, 0), server: -1)
            switch family.server {
            case .none: break
            case .whenOptedIn, .required:
                if fixedServer[index] ?? policy.serverLabel {
                    key.server = Int32(servers.slot(for: ServerKey(event.endpoints)) { $0.label })
                } else if family.server == .required {
                    continue
                }
            }
            let values = observation.values
            for (position, label) in family.labels.enumerated() {
                let raw = position == 0 ? values.0 : position == 1 ? values.1 : position == 2 ? values.2 : values.3
                let slot = Int32(labelSlots[index][position].slot(for: LabelValue.sanitized(raw, maxLength: label.maxLength)))
                switch position {
                case 0: key.slots.0 = slot
                case 1: key.slots.1 = slot
                case 2: key.slots.2 = slot
                default: key.slots.3 = slot
                }
            }
            switch family.kind {
            case .counter:
                counter(key, family).add(observation.count)
            case .gauge:
                gauge(key, family).set(observation.value)
            case .duration:
                histogram(key, family).record(.nanoseconds(Int64(clamping: UInt64(observation.value))))
            }
        }
    }

    /// The key itself, or all-"other" once the family holds `seriesCap` series.
    private func folded(_ key: SeriesKey) -> SeriesKey {
        guard seriesCount[Int(key.family)] >= policy.seriesCap else { return key }
        return SeriesKey(family: key.family, slots: (0, 0, 0, 0), server: key.server < 0 ? -1 : 0)
    }

    private func labels(_ key: SeriesKey, _ family: ProtocolMetrics.Family) -> [(String, String)] {
        let slots = [key.slots.0, key.slots.1, key.slots.2, key.slots.3]
        var labels: [(String, String)] = []
        for (position, label) in family.labels.enumerated() {
            labels.append((label.name, labelSlots[Int(key.family)][position].value(Int(slots[position]))))
        }
        if key.server >= 0 { labels.append(("server", servers.value(Int(key.server)))) }
        return labels
    }

    private func descriptor(_ family: ProtocolMetrics.Family) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: family.name, unitName: "", helpText: family.help)
    }

    private func counter(_ wanted: SeriesKey, _ family: ProtocolMetrics.Family) -> Counter {
        cached(wanted, &counters) { labels in
            labels.isEmpty ? registry.makeCounter(descriptor: descriptor(family))
                : registry.makeCounter(descriptor: descriptor(family), labels: labels)
        }
    }

    private func gauge(_ wanted: SeriesKey, _ family: ProtocolMetrics.Family) -> Gauge {
        cached(wanted, &gauges) { labels in
            labels.isEmpty ? registry.makeGauge(descriptor: descriptor(family))
                : registry.makeGauge(descriptor: descriptor(family), labels: labels)
        }
    }

    private func histogram(_ wanted: SeriesKey, _ family: ProtocolMetrics.Family) -> DurationHistogram {
        cached(wanted, &histograms) { labels in
            registry.makeDurationHistogram(descriptor: descriptor(family), labels: labels,
                                           buckets: ProtocolSeries.durationBuckets)
        }
    }

    /// The series under `wanted` (or its fold), registered on first use.
    private func cached<Metric>(_ wanted: SeriesKey, _ cache: inout [SeriesKey: Metric],
                                make: ([(String, String)]) -> Metric) -> Metric {
        if let metric = cache[wanted] { return metric }
        let key = folded(wanted)
        if let metric = cache[key] { return metric }
        let family = metrics.families[Int(key.family)]
        let metric = make(labels(key, family))
        cache[key] = metric
        seriesCount[Int(key.family)] += 1
        return metric
    }
}

/// Whether each family without labels of its own that takes the server
/// label when opted in (`whenOptedIn`) carries it, as its first series
/// decided: the registry cannot hold one family both with and without
/// labels, which a reload turning `server` on or off would otherwise ask
/// of it. `AgentMetrics` keeps one for the process.
final class FamilyShapes {
    private var serverLabel: [String: Bool] = [:]

    init() {}

    func serverLabel(_ family: String, wanted: Bool) -> Bool {
        if let fixed = serverLabel[family] { return fixed }
        serverLabel[family] = wanted
        return wanted
    }
}
