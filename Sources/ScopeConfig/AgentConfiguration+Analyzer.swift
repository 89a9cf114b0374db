import ScopeAnalyzers

extension AgentConfiguration {
    /// The analyzers' settings: protocols and ports, content detection,
    /// HTTP headers and bodies, DNS sections, limits, timeouts, redaction.
    ///
    /// A configuration from `parse`/`load` always converts exactly. One
    /// built by hand that `protocolSelection()` rejects (a port given to two
    /// protocols, an enabled protocol without ports, nothing enabled) gets
    /// the default selection: check it with `protocolSelection()` first.
    public func analyzerConfiguration() -> AnalyzerConfiguration {
        let selection = (try? protocolSelection()) ?? {
            var fallback = ProtocolSelection.defaults
            fallback.detectByContent = protocols.detectByContent
            return fallback
        }()
        var configuration = AnalyzerConfiguration(
            selection: selection,
            transactionTimeout: limits.transactionTimeoutNanoseconds,
            maxConnections: limits.maxConnections,
            maxPendingPerConnection: limits.maxPendingPerConnection,
            maxPendingDNSQueries: limits.maxPendingDNSQueries,
            maxHeaderBytes: limits.maxHeaderBytes,
            maxMessageSize: limits.maxMessageBytes,
            redactSecrets: redactCredentials)
        for proto in ApplicationProtocol.allCases {
            for option in proto.definition.options {
                option.apply(protocols.value(of: option, for: proto), to: &configuration)
            }
        }
        return configuration
    }

    /// The enabled protocols on their ports, under ScopeAnalyzers' own
    /// one-port-one-analyzer rule.
    public func protocolSelection() throws(ProtocolSelection.SpecError) -> ProtocolSelection {
        let entries = ApplicationProtocol.allCases.compactMap { proto -> (ApplicationProtocol, [UInt16])? in
            guard protocols.isEnabled(proto) else { return nil }
            // A carried protocol (grpc) runs on its carrier's section's ports, enabled or not.
            return (proto, protocols[proto.carrier ?? proto].ports)
        }
        return try ProtocolSelection(ports: entries, detectByContent: protocols.detectByContent)
    }

    /// Ports in their given order, runs of consecutive ports as "low-high"
    /// (a 1-65535 range stays short); the grammar expands them back in order.
    static func portList(_ ports: [UInt16]) -> String {
        var pieces: [String] = []
        var index = 0
        while index < ports.count {
            var end = index
            while end + 1 < ports.count, ports[end] < .max, ports[end + 1] == ports[end] + 1 { end += 1 }
            pieces.append(end == index ? "\(ports[index])" : "\(ports[index])-\(ports[end])")
            index = end + 1
        }
        return pieces.joined(separator: ",")
    }
}
