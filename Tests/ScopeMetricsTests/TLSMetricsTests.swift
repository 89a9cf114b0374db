import ScopeAnalyzers
import ScopeDecode
@testable import ScopeMetrics
import ScopeTestSupport
import Testing

/// TLS series from tls.pcap's handshakes (make-tls.sh): counts agree with
/// the events; the expiry gauge exists only with the server label.
@Suite struct TLSMetricsTests {
    static func tlsEvents() throws -> [(TransactionEvent, TLSTransaction)] {
        // Every connection's port named: by content alone, DNS-over-TCP detection claims the 8444 one first.
        let selection = try ProtocolSelection(parsing: "tls:8443,8444,8445")
        return try FixtureAnalysis.analyze("tls.pcap", configuration: AnalyzerConfiguration(selection: selection)).events.compactMap { event in
            (event.details as? TLSTransaction).map { (event, $0) }
        }
    }

    @Test func handshakesByVersionCipherAndOutcome() throws {
        let events = try Self.tlsEvents()
        #expect(events.count == 7)
        let metrics = AgentMetrics()
        events.forEach { metrics.record($0.0) }
        let text = TransactionMetricsTests.exposition(metrics)
        var expected: [String: Double] = [:]
        for (event, tls) in events { expected["\(event.method) \(tls.cipherName ?? "?") \(event.outcome)", default: 0] += 1 }
        var seen: [String: Double] = [:]
        for sample in text.matching("dpdkscope_tls_handshakes_total") {
            #expect(Set(sample.labels.keys) == ["version", "cipher", "outcome"])
            seen["\(sample.labels["version"]!) \(sample.labels["cipher"]!) \(sample.labels["outcome"]!)", default: 0] += sample.value
        }
        #expect(seen == expected)
        #expect(text.sum("dpdkscope_tls_handshakes_total", ["version": "1.2", "cipher": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                                                          "outcome": "established"]) == 1)
        // Both rejections of the self-signed certificate (TLS 1.2 and 1.3) alert in clear.
        #expect(text.sum("dpdkscope_tls_alerts_total", ["description": "unknown_ca"]) == 2)
        // GnuTLS's TLS 1.3 rejection: encrypted, description unknown.
        #expect(text.sum("dpdkscope_tls_alerts_total", ["description": "encrypted"]) == 1)
        #expect(text.matching("dpdkscope_tls_certificate_expiry_days").isEmpty)
    }

    @Test func leafExpiryPerServerWithTheServerLabel() throws {
        let events = try Self.tlsEvents()
        let metrics = AgentMetrics(policy: MetricsLabelPolicy(serverLabel: true))
        events.forEach { metrics.record($0.0) }
        let text = TransactionMetricsTests.exposition(metrics)
        let gauges = text.matching("dpdkscope_tls_certificate_expiry_days")
        // Servers whose leaf was seen in clear: 8443 (self-signed, 10 years) and 8445 (the chain's leaf, 397 days).
        #expect(Set(gauges.compactMap { $0.labels["server"] }) == ["127.0.0.1:8443", "127.0.0.1:8445"])
        let chain = try #require(gauges.first { $0.labels["server"] == "127.0.0.1:8445" }?.value)
        #expect(chain > 396.9 && chain < 397)
        let selfSigned = try #require(gauges.first { $0.labels["server"] == "127.0.0.1:8443" }?.value)
        #expect(selfSigned > 3649 && selfSigned < 3650)
    }

    @Test func cipherLabelsAreCapped() throws {
        let (base, tls) = try #require(Self.tlsEvents().first { $0.1.serverHello != nil })
        let metrics = AgentMetrics(policy: MetricsLabelPolicy(maxLabelValues: 3))
        for suite in UInt16(0x0C00)..<0x0C20 {
            var details = tls
            details.serverHello?.cipherSuite = suite
            var event = base
            event.details = details
            metrics.record(event)
        }
        let ciphers = Set(TransactionMetricsTests.exposition(metrics).matching("dpdkscope_tls_handshakes_total").compactMap { $0.labels["cipher"] })
        #expect(ciphers.count == 4 && ciphers.contains("other"))
    }
}
