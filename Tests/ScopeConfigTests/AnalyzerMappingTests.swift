import ScopeAnalyzers
import Testing
@testable import ScopeConfig

@Suite("analyzerConfiguration()")
struct AnalyzerMappingTests {
    @Test("every field of a full configuration reaches the analyzers")
    func fullMapping() throws {
        let config = try AgentConfiguration.parse(fullConfigYAML)
        let analyzer = config.analyzerConfiguration()
        let selection = analyzer.selection
        #expect(!selection.detectByContent)
        // The file turns redis and icmp off; every other protocol keeps its defaults.
        #expect(selection.enabled == ApplicationProtocol.allCases.filter { $0 != .redis && $0 != .icmp })
        #expect(selection.ports(for: .http) == [80, 8000, 8001, 8002])
        #expect(selection.ports(for: .dns) == [53, 5353])
        #expect(selection.ports(for: .mysql) == [3306, 3307])
        #expect(selection.ports(for: .pgsql) == [5432, 6432])
        #expect(selection.ports(for: .memcache) == [11211])
        #expect(!selection.isEnabled(.redis) && !selection.isEnabled(.icmp))
        #expect(analyzer.transactionTimeout == 1_500_000_000)
        #expect(analyzer.maxConnections == 200_000)
        #expect(analyzer.maxPendingPerConnection == 64)
        #expect(analyzer.maxPendingDNSQueries == 10_000)
        #expect(analyzer.maxHeaderBytes == 32_768)
        #expect(analyzer.maxMessageSize == 1 << 20)
        #expect(analyzer.includeHTTPHeaders)
        #expect(!analyzer.redactSecrets)
        #expect(analyzer.bodyCapture == ["application/json", "text/"])
        #expect(analyzer.maxCapturedBody == 65_536)
        #expect(analyzer.includeDNSAuthorities && analyzer.includeDNSAdditionals)
    }

    @Test("the defaults give the analyzers' own defaults")
    func defaultMapping() {
        let analyzer = AgentConfiguration.defaults.analyzerConfiguration()
        let reference = AnalyzerConfiguration()
        #expect(analyzer.selection == ProtocolSelection.defaults)
        #expect(analyzer.selection.isEnabled(.icmp) && analyzer.selection.ports(for: .icmp).isEmpty)
        #expect(analyzer.transactionTimeout == reference.transactionTimeout)
        #expect(analyzer.maxConnections == reference.maxConnections)
        #expect(analyzer.maxPendingPerConnection == reference.maxPendingPerConnection)
        #expect(analyzer.maxPendingDNSQueries == reference.maxPendingDNSQueries)
        #expect(analyzer.maxHeaderBytes == reference.maxHeaderBytes)
        #expect(analyzer.maxMessageSize == reference.maxMessageSize)
        #expect(analyzer.includeHTTPHeaders == reference.includeHTTPHeaders)
        #expect(analyzer.redactSecrets == reference.redactSecrets)
        #expect(analyzer.bodyCapture == reference.bodyCapture)
        #expect(analyzer.maxCapturedBody == reference.maxCapturedBody)
        #expect(analyzer.includeDNSAuthorities == reference.includeDNSAuthorities)
        #expect(analyzer.includeDNSAdditionals == reference.includeDNSAdditionals)
    }

    @Test("a whole-range port list reaches the selection whole and in order")
    func portRanges() throws {
        var config = AgentConfiguration.defaults
        for proto in ApplicationProtocol.allCases where proto != .http && proto != .icmp {
            config.protocols[proto].enabled = false
        }
        config.protocols[.http].ports = Array(1...65535)
        let selection = try config.protocolSelection()
        #expect(selection.ports(for: .http).count == 65535)
        #expect(selection.ports(for: .http) == Array(1...65535))
        #expect(selection.enabled == [.http, .icmp])
    }

    @Test("a hand-built configuration with a port on two protocols is refused by protocolSelection()")
    func handBuiltConflict() {
        var config = AgentConfiguration.defaults
        config.protocols[.redis].ports = [80]
        #expect(throws: ProtocolSelection.SpecError.self) { try config.protocolSelection() }
    }
}

@Suite("Port ranges in the file")
struct PortRangeFileTests {
    @Test("a whole-range protocol parses (linear time) and keeps order")
    func wholeRange() throws {
        // Every other protocol off: their default ports would overlap the range.
        let yaml = "protocols:\n  http: { ports: [\"1-65535\"] }\n" + disabled(except: [.http, .icmp])
        let clock = ContinuousClock()
        let start = clock.now
        let config = try AgentConfiguration.parse(yaml)
        #expect(clock.now - start < .seconds(5))
        #expect(config.protocols[.http].ports.count == 65535 && config.protocols[.http].ports.first == 1)
        #expect(try config.protocolSelection().ports(for: .http).count == 65535)
    }

    @Test("repeats within one protocol are dropped, not errors")
    func repeats() throws {
        let config = try AgentConfiguration.parse("protocols:\n  redis:\n    ports: [6380, \"6379-6381\", 6379]\n")
        #expect(config.protocols[.redis].ports == [6380, 6379, 6381])
    }
}

@Suite("Port conflicts at scale")
struct PortConflictScaleTests {
    @Test("two overlapping ranges are one error, not thousands")
    func overlappingRanges() {
        let yaml = "protocols:\n  http: { ports: [\"1-65535\"] }\n  dns: { ports: [\"1-65535\"] }\n"
            + disabled(except: [.http, .dns, .icmp])
        let errors = configErrors(yaml)
        #expect(errors.count == 1)
        #expect(errors.first?.path == "protocols.dns.ports[0]")
        #expect(errors.first?.message.contains("port 1 is already given for http at protocols.http.ports[0]") == true)
    }

    @Test("a range over other protocols' defaults: one error per protocol")
    func rangeOverDefaults() {
        let errors = configErrors("protocols:\n  http: { ports: [\"1-65535\"] }\n")
        let others = ApplicationProtocol.allCases.filter { $0 != .http && !$0.defaultPorts.isEmpty }
        #expect(errors.count == others.count)
        #expect(Set(errors.map(\.path)) == ["protocols.http.ports[0]"])
        #expect(errors.contains { $0.message.contains("port 11211 is also one of memcache's default ports") })
    }
}

/// `protocols:` entries turning off every registered protocol but `kept`.
private func disabled(except kept: [ApplicationProtocol]) -> String {
    ApplicationProtocol.allCases.filter { !kept.contains($0) }.map { "  \($0.rawValue): { enabled: false }\n" }.joined()
}
