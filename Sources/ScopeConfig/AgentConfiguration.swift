import ScopeAnalyzers
import ScopeCore
import Yams

/// The configuration of `dpdkscope agent --config FILE`, read from YAML.
///
/// Every key is optional; `defaults` is what an empty file gives, and
/// `referenceYAML` (printed by `dpdkscope config --reference`) documents
/// every key with its default. Sections:
/// - `attach`: EAL file prefix, lcores, log level, extra EAL arguments,
///   takeover of stale registrations, waiting for the primary;
/// - `captures`: list of {interfaces, direction, filter, snaplen};
/// - `ring`: size (power of two) and mbufs of the copy ring;
/// - `protocols`: detect_by_content, and per protocol enabled/ports/options;
/// - `flows`: flow events and their report period;
/// - `outputs`: stdout, file (JSON lines), dumpfile (pcapng), metrics (Prometheus);
/// - `limits`: connection, pending, header, message, timeout and memory bounds;
/// - `redaction`: credentials.
///
/// Value syntax: booleans are `true`/`false` only; durations `10s`, `500ms`,
/// `2m`, `1h` or bare seconds; sizes bare bytes or `512KiB`/`10MiB`/`1GiB`
/// (powers of 1024) or `KB`/`MB`/`GB` (powers of 1000); file modes octal.
public struct AgentConfiguration: Equatable, Sendable {
    public var attach: Attach
    /// At least one entry; the default captures rx on every port and queue.
    public var captures: [Capture]
    public var ring: Ring
    public var protocols: Protocols
    public var flows: Flows
    public var outputs: Outputs
    public var limits: Limits
    /// `redaction.credentials`: blank out HTTP Authorization and
    /// Proxy-Authorization, cookie values and SQL authentication.
    public var redactCredentials: Bool

    public init(attach: Attach = Attach(), captures: [Capture] = [Capture()], ring: Ring = Ring(),
                protocols: Protocols = Protocols(), flows: Flows = Flows(), outputs: Outputs = Outputs(),
                limits: Limits = Limits(), redactCredentials: Bool = true) {
        self.attach = attach
        self.captures = captures
        self.ring = ring
        self.protocols = protocols
        self.flows = flows
        self.outputs = outputs
        self.limits = limits
        self.redactCredentials = redactCredentials
    }

    public static let defaults = AgentConfiguration()

    static let keys = ["attach", "captures", "ring", "protocols", "flows", "outputs", "limits", "redaction"]

    /// Reads a whole document; reports every error found, not only the
    /// first, each with its key path and line. An empty document gives
    /// `defaults`. `checkFilter` returns libpcap's complaint about a capture
    /// filter, or nil when it compiles.
    public static func parse(_ yaml: String, file: String = "<config>",
                             checkFilter: (String) -> String? = { _ in nil },
                             checkKafka: (Outputs.Kafka) -> String? = { _ in nil }) throws(ConfigurationErrors)
    -> AgentConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationErrors(errors: [YAMLSyntaxError.configurationError(error, yaml: yaml, file: file)])
        }
        let log = ErrorLog(file: file)
        let configuration = AgentConfiguration(reading: ConfigSection(root, path: .root, log: log, keys: keys),
                                               checkFilter: checkFilter, checkKafka: checkKafka)
        let errors = log.errors
        guard errors.isEmpty else { throw ConfigurationErrors(errors: errors) }
        return configuration
    }

    /// `parse` of the file's contents; errors name the file as given.
    public static func load(path: String, checkFilter: (String) -> String? = { _ in nil },
                            checkKafka: (Outputs.Kafka) -> String? = { _ in nil }) throws(ConfigurationErrors)
    -> AgentConfiguration {
        let text: String
        do {
            text = try ConfigFile.read(path)
        } catch {
            throw ConfigurationErrors(errors: [ConfigurationError(file: path, line: nil, path: "", message: error.message)])
        }
        return try parse(text, file: path, checkFilter: checkFilter, checkKafka: checkKafka)
    }

    /// Limits are read before protocols: they bound protocol options.
    init(reading root: ConfigSection, checkFilter: (String) -> String?, checkKafka: (Outputs.Kafka) -> String?) {
        self.init()
        attach = Attach(reading: root.section("attach", keys: Attach.keys))
        if let value = root["captures"], !value.isNull, let items = value.items(of: "capture entries") {
            if items.isEmpty {
                value.report("needs at least one entry (leave the key out for the default: every port, rx)")
            } else {
                captures = items.map { Capture(reading: $0, checkFilter: checkFilter) }
            }
        }
        ring = Ring(reading: root.section("ring", keys: ["size", "mbufs", "pool_ops"]))
        limits = Limits(reading: root.section("limits", keys: Limits.keys))
        protocols = Protocols(reading: root.section("protocols", keys: Protocols.keys),
                              maxMessageBytes: limits.maxMessageBytes)
        flows = Flows(reading: root.section("flows", keys: ["enabled", "period"]))
        outputs = Outputs(reading: root.section("outputs", keys: Outputs.keys), checkKafka: checkKafka)
        root.section("redaction", keys: ["credentials"]).read("credentials", into: &redactCredentials) { $0.bool() }
    }
}
