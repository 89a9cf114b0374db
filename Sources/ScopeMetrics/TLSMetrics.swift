import Prometheus
import ScopeAnalyzers

/// TLS beyond the per-protocol request series: handshakes by version,
/// cipher and outcome, alerts by level and description, and (with the
/// `server` label opted in, as for the request series) the days left on
/// each server's leaf certificate. Every label goes through the policy's
/// caps, past which values fold into "other".
final class TLSSeries {
    private struct HandshakeKey: Hashable {
        var version: Int32
        var cipher: Int32
        var outcome: Int32
    }

    private let registry: PrometheusCollectorRegistry
    private let policy: MetricsLabelPolicy
    private var versions: LabelSlots
    private var ciphers: LabelSlots
    private var outcomes: LabelSlots
    private var alertNames: LabelSlots
    private var servers: KeyedLabelSlots<ServerKey>
    private var handshakes: [HandshakeKey: Counter] = [:]
    private var alerts: [Int32: Counter] = [:]
    private var expiries: [Int32: Gauge] = [:]

    init(registry: PrometheusCollectorRegistry, policy: MetricsLabelPolicy) {
        self.registry = registry
        self.policy = policy
        let cap = policy.labelCap
        versions = LabelSlots(cap: cap)
        ciphers = LabelSlots(cap: cap)
        outcomes = LabelSlots(cap: cap)
        alertNames = LabelSlots(cap: cap)
        servers = KeyedLabelSlots(cap: cap)
    }

    func record(_ event: TransactionEvent, _ tls: TLSTransaction) {
        let key = HandshakeKey(version: Int32(versions.slot(for: LabelValue.sanitized(event.method))),
                               // IANA suite names run to 50 characters.
                               cipher: Int32(ciphers.slot(for: LabelValue.sanitized(tls.cipherName ?? LabelValue.unknown, maxLength: 64))),
                               outcome: Int32(outcomes.slot(for: LabelValue.sanitized(event.outcome))))
        handshakeCounter(key).increment()
        if let alert = tls.alertName {
            let slot = Int32(alertNames.slot(for: LabelValue.sanitized(alert)))
            alertCounter(slot).increment()
        }
        if policy.serverLabel, let notAfter = tls.certificates.first?.notAfter {
            let slot = Int32(servers.slot(for: ServerKey(event.endpoints)) { $0.label })
            // Days left when the handshake was seen (capture time, so `read` of a file is reproducible).
            let seen = Double(event.start) / 1e9
            expiryGauge(slot).set((Double(notAfter) - seen) / 86_400)
        }
    }

    private func handshakeCounter(_ wanted: HandshakeKey) -> Counter {
        if let counter = handshakes[wanted] { return counter }
        let key = handshakes.count >= policy.seriesCap ? HandshakeKey(version: 0, cipher: 0, outcome: 0) : wanted
        if let counter = handshakes[key] { return counter }
        let counter = registry.counter(MetricFamilies.tlsHandshakes, [
            ("version", versions.value(Int(key.version))), ("cipher", ciphers.value(Int(key.cipher))),
            ("outcome", outcomes.value(Int(key.outcome))),
        ])
        handshakes[key] = counter
        return counter
    }

    private func alertCounter(_ slot: Int32) -> Counter {
        if let counter = alerts[slot] { return counter }
        let counter = registry.counter(MetricFamilies.tlsAlerts, [("description", alertNames.value(Int(slot)))])
        alerts[slot] = counter
        return counter
    }

    private func expiryGauge(_ slot: Int32) -> Gauge {
        if let gauge = expiries[slot] { return gauge }
        let gauge = registry.gauge(MetricFamilies.tlsCertificateExpiry, [("server", servers.value(Int(slot)))])
        expiries[slot] = gauge
        return gauge
    }
}
