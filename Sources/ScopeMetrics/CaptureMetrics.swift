import Prometheus

/// Cumulative counters of one capture tuple (port, queue, direction) as the
/// capture loop reads them: pdump's per-queue statistics plus the loop's
/// own dequeue and write totals, and the ring's fill at sampling time.
public struct CaptureSample: Sendable, Equatable {
    /// Device name ("net_tap0", "0000:03:00.0").
    public var port: String
    public var queue: UInt16
    /// "rx" or "tx".
    public var direction: String
    public var accepted: UInt64
    public var filtered: UInt64
    public var nombuf: UInt64
    public var ringfull: UInt64
    public var dequeuedPackets: UInt64
    public var dequeuedBytes: UInt64
    public var writtenPackets: UInt64
    public var writtenBytes: UInt64
    public var ringOccupancy: Int
    public var ringCapacity: Int

    public init(port: String, queue: UInt16, direction: String, accepted: UInt64 = 0, filtered: UInt64 = 0,
                nombuf: UInt64 = 0, ringfull: UInt64 = 0, dequeuedPackets: UInt64 = 0, dequeuedBytes: UInt64 = 0,
                writtenPackets: UInt64 = 0, writtenBytes: UInt64 = 0, ringOccupancy: Int = 0, ringCapacity: Int = 0) {
        self.port = port
        self.queue = queue
        self.direction = direction
        self.accepted = accepted
        self.filtered = filtered
        self.nombuf = nombuf
        self.ringfull = ringfull
        self.dequeuedPackets = dequeuedPackets
        self.dequeuedBytes = dequeuedBytes
        self.writtenPackets = writtenPackets
        self.writtenBytes = writtenBytes
        self.ringOccupancy = ringOccupancy
        self.ringCapacity = ringCapacity
    }
}

/// The exported series of one capture tuple. The four pdump outcomes share
/// `dpdkscope_pdump_packets_total` under an `outcome` label (they partition
/// the packets pdump saw, so `sum without (outcome)` is meaningful).
struct CaptureSeries {
    private var accepted, filtered, nombuf, ringfull: CumulativeCounter
    private var dequeuedPackets, dequeuedBytes, writtenPackets, writtenBytes: CumulativeCounter
    private let occupancy: Gauge
    private let capacity: Gauge

    init(port: String, queue: UInt16, direction: String, registry: PrometheusCollectorRegistry) {
        let labels = [("port", LabelValue.sanitized(port, maxLength: 64)), ("queue", "\(queue)"),
                      ("direction", LabelValue.sanitized(direction))]
        func pdump(_ outcome: String) -> CumulativeCounter {
            CumulativeCounter(registry.counter(MetricFamilies.pdumpPackets, labels + [("outcome", outcome)]))
        }
        func counter(_ family: MetricFamily) -> CumulativeCounter {
            CumulativeCounter(registry.counter(family, labels))
        }
        accepted = pdump("accepted")
        filtered = pdump("filtered")
        nombuf = pdump("nombuf")
        ringfull = pdump("ringfull")
        dequeuedPackets = counter(MetricFamilies.dequeuedPackets)
        dequeuedBytes = counter(MetricFamilies.dequeuedBytes)
        writtenPackets = counter(MetricFamilies.writtenPackets)
        writtenBytes = counter(MetricFamilies.writtenBytes)
        occupancy = registry.gauge(MetricFamilies.ringOccupancy, labels)
        capacity = registry.gauge(MetricFamilies.ringCapacity, labels)
    }

    mutating func update(_ sample: CaptureSample) {
        accepted.update(to: sample.accepted)
        filtered.update(to: sample.filtered)
        nombuf.update(to: sample.nombuf)
        ringfull.update(to: sample.ringfull)
        dequeuedPackets.update(to: sample.dequeuedPackets)
        dequeuedBytes.update(to: sample.dequeuedBytes)
        writtenPackets.update(to: sample.writtenPackets)
        writtenBytes.update(to: sample.writtenBytes)
        occupancy.set(to: Double(sample.ringOccupancy))
        capacity.set(to: Double(sample.ringCapacity))
    }
}

/// Capture tuples come from the agent's configuration, not from traffic,
/// but their number is still capped so a misbehaving caller cannot grow
/// the registry without bound.
struct CaptureMetrics {
    private struct Tuple: Hashable {
        var port: String
        var queue: UInt16
        var direction: String
    }

    static let maxTuples = 4_096
    private var series: [Tuple: CaptureSeries] = [:]
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    mutating func update(_ samples: [CaptureSample]) {
        for sample in samples {
            let tuple = Tuple(port: sample.port, queue: sample.queue, direction: sample.direction)
            if series[tuple] == nil {
                guard series.count < Self.maxTuples else { continue }
                series[tuple] = CaptureSeries(port: sample.port, queue: sample.queue, direction: sample.direction,
                                              registry: registry)
            }
            series[tuple]?.update(sample)
        }
    }
}
