import ScopeAnalyzers
import Testing
@testable import ScopeConfig

/// Every registered protocol, walked through the `protocols:` section: its
/// key, its ports, its options, the reference text and the mapping into the
/// analyzers. A protocol the YAML reader does not know fails here.
@Suite struct RegistryConfigTests {
    @Test("its section turns it off, and only it", arguments: ApplicationProtocol.allCases)
    func disable(_ proto: ApplicationProtocol) throws {
        let config = try AgentConfiguration.parse("protocols:\n  \(proto.rawValue):\n    enabled: false\n")
        #expect(!config.protocols.isEnabled(proto))
        let selection = try config.protocolSelection()
        // A carried protocol follows its carrier unless its own section says otherwise.
        #expect(selection.enabled == ApplicationProtocol.allCases.filter { $0 != proto && $0.carrier != proto })
    }

    @Test("ports given in its section reach the analyzers", arguments: ApplicationProtocol.allCases.filter {
        $0.runsOverTCP || $0.runsOverUDP
    })
    func ports(_ proto: ApplicationProtocol) throws {
        let config = try AgentConfiguration.parse("protocols:\n  \(proto.rawValue):\n    ports: [40123, \"40200-40201\"]\n")
        #expect(config.analyzerConfiguration().selection.ports(for: proto) == [40123, 40200, 40201])
    }

    @Test("the reference shows its section, ports and every option at its default", arguments: ApplicationProtocol.allCases)
    func reference(_ proto: ApplicationProtocol) throws {
        let reference = AgentConfiguration.referenceYAML
        #expect(reference.contains("\n  \(proto.rawValue):\n    enabled: true\n"))
        if !proto.defaultPorts.isEmpty {
            #expect(reference.contains("    ports: [\(proto.defaultPorts.map(String.init).joined(separator: ", "))]\n"))
        }
        let defaults = try AgentConfiguration.parse(reference)
        for option in proto.definition.options {
            #expect(reference.contains("    \(option.key): "), "\(option.key)")
            #expect(defaults.protocols.value(of: option, for: proto) == option.defaultValue)
        }
    }

    @Test("every option reads a value of its kind and applies it", arguments: ApplicationProtocol.allCases)
    func options(_ proto: ApplicationProtocol) throws {
        for option in proto.definition.options {
            let (text, value): (String, ProtocolOption.Value) = switch option.defaultValue {
            case .flag(let on): (on ? "false" : "true", .flag(!on))
            case .messageBytes: ("1234", .messageBytes(1234))
            case .mediaTypes: ("[\"Text/\"]", .mediaTypes(["text/"]))
            }
            let config = try AgentConfiguration.parse("protocols:\n  \(proto.rawValue):\n    \(option.key): \(text)\n")
            #expect(config.protocols.value(of: option, for: proto) == value, "\(option.key)")
            // The analyzers see the change: applying the default back undoes it.
            let applied = config.analyzerConfiguration()
            var restored = applied
            option.apply(option.defaultValue, to: &restored)
            #expect(restored != applied, "\(option.key) reaches AnalyzerConfiguration")
            #expect(restored == AgentConfiguration.defaults.analyzerConfiguration())
        }
    }

    @Test("a value of the wrong kind is an error at its key", arguments: ApplicationProtocol.allCases)
    func wrongKind(_ proto: ApplicationProtocol) {
        for option in proto.definition.options {
            let errors = configErrors("protocols:\n  \(proto.rawValue):\n    \(option.key): {a: 1}\n")
            #expect(errors.map(\.path) == ["protocols.\(proto.rawValue).\(option.key)"])
        }
    }
}
