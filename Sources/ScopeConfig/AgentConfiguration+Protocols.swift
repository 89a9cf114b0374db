import ScopeAnalyzers

extension AgentConfiguration {
    /// `protocols:` which analyzers run, on which ports, with which options:
    /// one `Settings` per registered protocol, its keys and defaults taken
    /// from the protocol's `ProtocolDefinition`.
    public struct Protocols: Equatable, Sendable {
        /// One protocol's section.
        public struct Settings: Equatable, Sendable {
            public var enabled: Bool
            /// Empty for protocols without ports (ICMP).
            public var ports: [UInt16]
            /// The protocol's options by key (`ProtocolDefinition.options`).
            public var options: [String: ProtocolOption.Value]

            public init(enabled: Bool = true, ports: [UInt16], options: [String: ProtocolOption.Value] = [:]) {
                self.enabled = enabled
                self.ports = ports
                self.options = options
            }

            /// The defaults of `proto`: enabled, on its default ports, every
            /// option at its default.
            public init(defaultsOf proto: ApplicationProtocol) {
                let options = proto.definition.options
                self.init(ports: proto.defaultPorts,
                          options: Dictionary(uniqueKeysWithValues: options.map { ($0.key, $0.defaultValue) }))
            }
        }

        /// Also find enabled protocols on other ports from their first bytes.
        public var detectByContent: Bool
        private var settings: [Settings]

        public init(detectByContent: Bool = true) {
            self.detectByContent = detectByContent
            settings = ApplicationProtocol.allCases.map(Settings.init(defaultsOf:))
        }

        /// Indexed in registry order, like `ApplicationProtocol.allCases`.
        public subscript(proto: ApplicationProtocol) -> Settings {
            get { settings[proto.registryIndex] }
            set { settings[proto.registryIndex] = newValue }
        }

        /// The value of one of `proto`'s options (its default when a hand-made
        /// `Settings` left it out).
        public func value(of option: ProtocolOption, for proto: ApplicationProtocol) -> ProtocolOption.Value {
            self[proto].options[option.key] ?? option.defaultValue
        }

        /// The ports of `proto`, nil when it is disabled ([] for ICMP).
        public func ports(for proto: ApplicationProtocol) -> [UInt16]? {
            let entry = self[proto]
            return entry.enabled ? entry.ports : nil
        }

        public func isEnabled(_ proto: ApplicationProtocol) -> Bool { ports(for: proto) != nil }

        static var keys: [String] { ["detect_by_content"] + ApplicationProtocol.allCases.map(\.rawValue) }
    }
}

extension ApplicationProtocol {
    /// A protocol on TCP or UDP has ports; ICMP has none, nor a `ports` key.
    var hasPorts: Bool { runsOverTCP || runsOverUDP }
}
