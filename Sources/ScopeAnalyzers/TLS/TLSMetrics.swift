/// TLS's metric families beyond the request series: handshakes by version,
/// cipher and outcome, alerts by description, and (with the `server` label
/// opted in) the days left on each server's leaf certificate.
enum TLSMetrics {
    static let handshakes = 0
    static let alerts = 1
    static let certificateExpiry = 2

    static let definition = ProtocolMetrics(families: [
        .init(name: "dpdkscope_tls_handshakes_total",
              help: "TLS handshakes, by version, negotiated cipher and outcome (established, failed, unanswered).",
              kind: .counter,
              // IANA suite names run to 50 characters.
              labels: [.init("version"), .init("cipher", maxLength: 64), .init("outcome")]),
        .init(name: "dpdkscope_tls_alerts_total",
              help: "TLS alerts seen in clear, by description.",
              kind: .counter, labels: [.init("description")]),
        .init(name: "dpdkscope_tls_certificate_expiry_days",
              help: "Days from the last handshake seen to the end of the server's leaf certificate (needs the server label).",
              kind: .gauge, labels: [], server: .required),
    ], observe: { event, observations in
        guard let tls = event.details as? TLSTransaction else { return }
        observations.count(handshakes, event.method, tls.cipherName ?? "", event.outcome)
        if let alert = tls.alertName { observations.count(alerts, alert) }
        if let notAfter = tls.certificates.first?.notAfter {
            // Days left when the handshake was seen (capture time, so `read` of a file is reproducible).
            let seen = Double(event.start) / 1e9
            observations.set(certificateExpiry, to: (Double(notAfter) - seen) / 86_400)
        }
    })
}
