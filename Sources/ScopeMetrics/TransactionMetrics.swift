import Prometheus
import ScopeAnalyzers
import ScopeDecode

/// The server end of a transaction, as the `server` label keys it.
struct ServerKey: Hashable {
    var address: IPAddress
    /// nil for ICMP, whose endpoint "ports" hold the message type and code.
    var port: UInt16?

    init(_ endpoints: TransactionEndpoints) {
        address = endpoints.server
        port = endpoints.transport == .icmp ? nil : endpoints.serverPort
    }

    init(address: IPAddress, port: UInt16?) {
        self.address = address
        self.port = port
    }

    /// "10.0.0.2:80", "[::1]:6379", "10.0.0.2" (ICMP).
    var label: String {
        guard let port else { return "\(address)" }
        return address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// One protocol's transaction series. Label values become small slot
/// numbers on first sight, and each label combination's counter is cached
/// under its slots, so a recorded event costs a few hash lookups and atomic
/// adds: no registry lookup and no allocation of its own once the series
/// exists (what `method` and `outcome` cost is the event's).
final class ProtocolSeries {
    private struct RequestKey: Hashable {
        var method: Int32
        var outcome: Int32
        var server: Int32
        var vlan: Int32
    }

    let name: String
    private let registry: PrometheusCollectorRegistry
    private let policy: MetricsLabelPolicy
    private var methods: LabelSlots
    private var outcomes: LabelSlots
    private var servers: KeyedLabelSlots<ServerKey>
    private var vlans: KeyedLabelSlots<UInt16>
    private var requests: [RequestKey: Counter] = [:]
    private var durations: [Int32: DurationHistogram] = [:]
    private let requestBytes: Counter
    private let responseBytes: Counter
    private let unansweredRequests: Counter
    private let unsolicitedResponses: Counter

    /// 50µs to 10s in 1-2.5-5 steps: loopback caches answer in tens of
    /// microseconds, slow queries take seconds.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
    ]

    init(name: String, registry: PrometheusCollectorRegistry, policy: MetricsLabelPolicy) {
        self.name = name
        self.registry = registry
        self.policy = policy
        let cap = policy.labelCap
        methods = LabelSlots(cap: cap)
        outcomes = LabelSlots(cap: cap)
        servers = KeyedLabelSlots(cap: cap)
        vlans = KeyedLabelSlots(cap: cap)
        requestBytes = registry.counter(MetricFamilies.requestBytes, [("protocol", name)])
        responseBytes = registry.counter(MetricFamilies.responseBytes, [("protocol", name)])
        unansweredRequests = registry.counter(MetricFamilies.unmatched, [("protocol", name), ("side", "request")])
        unsolicitedResponses = registry.counter(MetricFamilies.unmatched, [("protocol", name), ("side", "response")])
    }

    func record(_ event: TransactionEvent) {
        let method = event.method
        let outcome = event.outcome
        var key = RequestKey(method: Int32(methods.slot(for: LabelValue.sanitized(method))),
                             outcome: Int32(outcomes.slot(for: LabelValue.sanitized(outcome))),
                             server: -1, vlan: -1)
        if policy.serverLabel {
            key.server = Int32(servers.slot(for: ServerKey(event.endpoints)) { $0.label })
        }
        if policy.vlanLabel {
            key.vlan = Int32(vlans.slot(for: event.endpoints.vlanID) { "\($0)" })
        }
        requestCounter(key).increment()
        durationHistogram(server: key.server).record(.nanoseconds(Int64(clamping: event.duration)))
        requestBytes.add(event.requestBytes)
        responseBytes.add(event.responseBytes)
        // isMatched is asked last: it is a call into the protocol's details.
        if outcome == "unanswered" {
            unansweredRequests.increment()
        } else if event.requestMissing(method: method) && !event.isMatched {
            unsolicitedResponses.increment()
        }
    }

    private func requestCounter(_ wanted: RequestKey) -> Counter {
        if let counter = requests[wanted] { return counter }
        var key = wanted
        if requests.count >= policy.seriesCap {
            // Too many combinations: fold the whole event into "other".
            key = RequestKey(method: 0, outcome: 0, server: key.server < 0 ? -1 : 0, vlan: key.vlan < 0 ? -1 : 0)
            if let counter = requests[key] { return counter }
        }
        var labels = [("protocol", name), ("method", methods.value(Int(key.method))),
                      ("outcome", outcomes.value(Int(key.outcome)))]
        if key.server >= 0 { labels.append(("server", servers.value(Int(key.server)))) }
        if key.vlan >= 0 { labels.append(("vlan", vlans.value(Int(key.vlan)))) }
        let counter = registry.counter(MetricFamilies.requests, labels)
        requests[key] = counter
        return counter
    }

    private func durationHistogram(server: Int32) -> DurationHistogram {
        if let histogram = durations[server] { return histogram }
        var labels = [("protocol", name)]
        if server >= 0 { labels.append(("server", servers.value(Int(server)))) }
        let histogram = registry.makeDurationHistogram(descriptor: MetricFamilies.requestDuration.descriptor,
                                                       labels: labels, buckets: Self.durationBuckets)
        durations[server] = histogram
        return histogram
    }
}
