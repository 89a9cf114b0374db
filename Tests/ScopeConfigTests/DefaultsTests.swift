import ScopeAnalyzers
import ScopeCore
import Testing
@testable import ScopeConfig

@Suite("Defaults and the reference file")
struct DefaultsTests {
    @Test("the reference YAML parses to .defaults")
    func referenceIsDefaults() throws {
        // A filter checker that refuses everything: the reference sets none.
        let parsed = try AgentConfiguration.parse(AgentConfiguration.referenceYAML) { _ in "refused" }
        #expect(parsed == AgentConfiguration.defaults)
    }

    @Test("an empty file, a comment-only file and a null document give .defaults",
          arguments: ["", "\n\n", "# nothing here\n", "~\n", "---\n"])
    func emptyIsDefaults(yaml: String) throws {
        #expect(try AgentConfiguration.parse(yaml) == .defaults)
    }

    @Test("empty sections read as their defaults")
    func emptySections() throws {
        let yaml = "attach:\nring:\nprotocols:\n  http:\noutputs: {}\nlimits:\nredaction:\n"
        #expect(try AgentConfiguration.parse(yaml) == .defaults)
    }

    @Test("defaults are the documented values")
    func documentedValues() {
        let d = AgentConfiguration.defaults
        #expect(d.attach == AgentConfiguration.Attach(filePrefix: "rte", lcores: nil, logLevel: .warning, eal: "",
                                                      takeover: false, waitForPrimary: false, workers: 0))
        #expect(d.captures == [AgentConfiguration.Capture(interfaces: [], direction: .rx, filter: nil, snaplen: 262_144)])
        #expect(d.ring.size == 4096 && d.ring.mbufs == nil && d.ring.effectiveMbufs == 8191 && d.ring.poolOps == .lockFree)
        #expect(d.protocols.detectByContent)
        for proto in ApplicationProtocol.allCases {
            #expect(d.protocols.ports(for: proto) == proto.defaultPorts)
        }
        #expect(d.protocols[.http].options["max_body_bytes"] == .messageBytes(4096)
            && d.protocols[.http].options["headers"] == .flag(false)
            && d.protocols[.http].options["include_body_for"] == .mediaTypes([]))
        #expect(!d.flows.enabled && d.flows.periodNanoseconds == 10_000_000_000)
        #expect(!d.outputs.stdout.enabled && d.outputs.stdout.format == .json)
        #expect(d.outputs.file == .init(enabled: true, path: "/var/log/dpdkscope/events.ndjson",
                                        rotateBytes: 10_485_760, keep: 7, permissions: 0o600))
        #expect(d.outputs.dumpfile == .init(enabled: false, path: "/var/lib/dpdkscope/dump.pcapng",
                                            rotateBytes: 104_857_600, keep: 5, snaplen: 65_535))
        #expect(d.outputs.metrics == .init(enabled: true, address: "127.0.0.1", port: 9091, labels: [], maxLabelValues: 100))
        #expect(d.limits == .init(maxConnections: 65_536, maxPendingPerConnection: 1024, maxPendingDNSQueries: 65_536,
                                  maxHeaderBytes: 65_536, maxMessageBytes: 10_485_760, transactionTimeout: .seconds(10),
                                  flowTableSize: 65_536, streamBytesPerDirection: 262_144,
                                  streamMemoryBytes: 67_108_864))
        #expect(d.redactCredentials)
    }

    @Test("every schema key appears in the reference file")
    func referenceCoversSchema() {
        let keys = AgentConfiguration.keys + AgentConfiguration.Attach.keys + AgentConfiguration.Capture.keys
            + AgentConfiguration.Limits.keys + AgentConfiguration.Outputs.keys + AgentConfiguration.Protocols.keys
            + ["size", "mbufs", "pool_ops", "period", "credentials", "format", "path", "rotate_bytes", "keep", "permissions",
               "address", "labels", "max_label_values", "headers", "include_body_for", "max_body_bytes",
               "include_authorities", "include_additionals"]
        for key in keys {
            #expect(AgentConfiguration.referenceYAML.contains("\(key):"), "\(key)")
        }
    }
}
