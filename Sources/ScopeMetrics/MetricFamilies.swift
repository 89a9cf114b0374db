import Prometheus

/// A metric's name and help text, defined once: swift-prometheus traps when
/// one name is registered with two different help texts or types, so every
/// registration goes through these constants.
struct MetricFamily: Sendable {
    let name: String
    let help: String

    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}

/// Every family `AgentMetrics` exports, except those protocols declare of
/// their own (`ProtocolDefinition.metrics`, see `ProtocolFamilySeries`). Names follow the Prometheus
/// conventions: `dpdkscope_` prefix, `_total` on counters, base units
/// (`_seconds`, `_bytes`) in the name. No name contains a digit (the
/// registry's name validation rewrites most digits).
enum MetricFamilies {
    // Transactions (labels: protocol, method, outcome[, server][, vlan]).
    static let requests = MetricFamily(
        name: "dpdkscope_requests_total",
        help: "Transactions the analyzers reported, by protocol, method and outcome.")
    static let requestDuration = MetricFamily(
        name: "dpdkscope_request_duration_seconds",
        help: "Time from the first request byte to the last response byte (to giving up, when unanswered).")
    static let requestBytes = MetricFamily(
        name: "dpdkscope_request_bytes_total",
        help: "Application-layer bytes of requests.")
    static let responseBytes = MetricFamily(
        name: "dpdkscope_response_bytes_total",
        help: "Application-layer bytes of responses.")
    static let unmatched = MetricFamily(
        name: "dpdkscope_unmatched_total",
        help: "Requests never answered (side=request, timeouts included) and responses without a request (side=response).")

    // Capture (labels: port, queue, direction).
    static let pdumpPackets = MetricFamily(
        name: "dpdkscope_pdump_packets_total",
        help: "Packets seen by the pdump callbacks, by outcome: accepted, filtered, nombuf (no mbuf for the copy), ringfull (ring full, dropped).")
    static let dequeuedPackets = MetricFamily(
        name: "dpdkscope_capture_dequeued_packets_total",
        help: "Packets taken from the pdump rings (counted per capture loop, on the first tuple of its first ring).")
    static let dequeuedBytes = MetricFamily(
        name: "dpdkscope_capture_dequeued_bytes_total",
        help: "Bytes of the packets taken from the pdump rings (per capture loop, on the first tuple of its first ring).")
    static let writtenPackets = MetricFamily(
        name: "dpdkscope_capture_written_packets_total",
        help: "Packets written to the pcapng dumpfile (per capture loop, on the first tuple of its first ring).")
    static let writtenBytes = MetricFamily(
        name: "dpdkscope_capture_written_bytes_total",
        help: "Bytes written to the pcapng dumpfile (per capture loop, on the first tuple of its first ring).")
    static let ringOccupancy = MetricFamily(
        name: "dpdkscope_capture_ring_occupancy",
        help: "Packets waiting in a pdump ring at the last sample (per ring, on its first tuple).")
    static let ringCapacity = MetricFamily(
        name: "dpdkscope_capture_ring_capacity",
        help: "Packets a pdump ring can hold (per ring, on its first tuple).")

    // Decoder.
    static let decoderErrors = MetricFamily(
        name: "dpdkscope_decoder_errors_total",
        help: "Packets the decoder could not decode, by reason.")
    static let flowsActive = MetricFamily(
        name: "dpdkscope_flows_active",
        help: "Flows in the flow table.")
    static let flowsCreated = MetricFamily(
        name: "dpdkscope_flows_created_total",
        help: "Flows added to the flow table.")
    static let flowsEvicted = MetricFamily(
        name: "dpdkscope_flows_evicted_total",
        help: "Flows removed from the flow table to make room or after idling.")

    // Analyzers (labels: protocol, counter).
    static let analyzer = MetricFamily(
        name: "dpdkscope_analyzer_events_total",
        help: "Analyzer counters (as dpdkscope read --stats prints them): protocol is the name's prefix, counter the rest.")

    // The process (standard names shared with other Prometheus clients).
    static let residentMemory = MetricFamily(
        name: "process_resident_memory_bytes",
        help: "Resident memory size in bytes.")
    static let startTime = MetricFamily(
        name: "process_start_time_seconds",
        help: "Start time of the process since the Unix epoch in seconds.")
    static let uptime = MetricFamily(
        name: "dpdkscope_uptime_seconds",
        help: "Seconds since the process started.")
}

extension PrometheusCollectorRegistry {
    func counter(_ family: MetricFamily, _ labels: [(String, String)] = []) -> Counter {
        labels.isEmpty ? makeCounter(descriptor: family.descriptor)
            : makeCounter(descriptor: family.descriptor, labels: labels)
    }

    func gauge(_ family: MetricFamily, _ labels: [(String, String)] = []) -> Gauge {
        labels.isEmpty ? makeGauge(descriptor: family.descriptor)
            : makeGauge(descriptor: family.descriptor, labels: labels)
    }
}

extension Counter {
    /// Counters take Int64; event sizes and deltas are UInt64.
    func add(_ amount: UInt64) {
        if amount > 0 { increment(by: Int64(clamping: amount)) }
    }
}

/// A counter fed from cumulative source values sampled now and then: it
/// advances by each source's difference from that source's previous
/// value. A value lower than the last one means the source restarted from
/// zero, so the whole value is new. Sources are the agent's capture loops
/// (worker indexes); one loop is source 0.
struct CumulativeCounter {
    /// Sources past this are ignored: a worker index is at most 63.
    static let maxSources = 128
    let counter: Counter
    private var lasts: [UInt64] = [0]

    init(_ counter: Counter) { self.counter = counter }

    /// The same sources' last values feeding `counter` from now on (new
    /// labels after a reload), so their next samples add only what is new.
    func feeding(_ counter: Counter) -> CumulativeCounter {
        var moved = CumulativeCounter(counter)
        moved.lasts = lasts
        return moved
    }

    /// Source 0's last value.
    var last: UInt64 { lasts[0] }

    mutating func update(to value: UInt64, source: Int = 0) {
        guard source >= 0, source < Self.maxSources else { return }
        if source >= lasts.count { lasts += repeatElement(0, count: source + 1 - lasts.count) }
        let last = lasts[source]
        counter.add(value >= last ? value - last : value)
        lasts[source] = value
    }
}
