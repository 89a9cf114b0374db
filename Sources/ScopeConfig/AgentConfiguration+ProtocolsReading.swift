import ScopeAnalyzers

extension AgentConfiguration.Protocols {
    /// Reads the section and checks what spans protocols: one port, one
    /// analyzer; every enabled port protocol has ports; something is enabled.
    /// `maxMessageBytes` bounds options that buffer part of a message.
    init(reading section: ConfigSection, maxMessageBytes: Int) {
        self.init()
        section.read("detect_by_content", into: &detectByContent) { $0.bool() }
        var claims = PortClaims()
        var sections: [ConfigSection] = []
        for proto in ApplicationProtocol.allCases {
            let definition = proto.definition
            let keys = ["enabled"] + (proto.hasPorts ? ["ports"] : []) + definition.options.map(\.key)
            let protoSection = section.section(proto.rawValue, keys: keys)
            var entry = Settings(defaultsOf: proto)
            protoSection.read("enabled", into: &entry.enabled) { $0.bool() }
            for option in definition.options {
                var value = option.defaultValue
                protoSection.read(option.key, into: &value) {
                    Self.read($0, as: option.defaultValue, maxMessageBytes: maxMessageBytes)
                }
                entry.options[option.key] = value
            }
            sections.append(protoSection)
            self[proto] = entry
        }
        // A carried protocol without its own `enabled` follows its carrier: a file
        // that turns http2 off turns gRPC off too (it did before grpc had a name).
        for proto in ApplicationProtocol.allCases where sections[proto.registryIndex]["enabled"] == nil {
            if let carrier = proto.carrier { self[proto].enabled = self[carrier].enabled }
        }
        // Ports once every `enabled` is known: a carrier's ports are in use when a
        // protocol it carries is enabled (grpc runs http2's analyzer on http2's ports).
        for proto in ApplicationProtocol.allCases where proto.hasPorts {
            let runs = self[proto].enabled || proto.carried.contains { self[$0].enabled }
            self[proto].ports = claims.read(sections[proto.registryIndex], proto, enabled: runs)
        }
        if !ApplicationProtocol.allCases.contains(where: isEnabled) {
            section.report("no protocol is enabled; enable at least one")
        }
    }

    /// One option's value, of the kind its default has.
    private static func read(_ value: ConfigValue, as kind: ProtocolOption.Value,
                             maxMessageBytes: Int) -> ProtocolOption.Value? {
        switch kind {
        case .flag:
            return value.bool().map(ProtocolOption.Value.flag)
        case .mediaTypes:
            let types = value.items(of: "media types")?.map { $0.text()?.lowercased() }
            return types?.contains(nil) == false ? .mediaTypes(types?.compactMap { $0 } ?? []) : nil
        case .messageBytes:
            guard let bytes = value.size(in: 0...(1 << 30)) else { return nil }
            guard AnalyzerConfiguration.allowsCapturedBody(bytes, maxMessageSize: maxMessageBytes) else {
                return value.fail("\(value.scalarText) is more than limits.max_message_bytes (\(Units.format(bytes: maxMessageBytes))), the most one message may buffer")
            }
            return .messageBytes(bytes)
        }
    }
}

/// Ports taken so far, in registry order, and where each was given (nil
/// for a default port): a port belongs to one analyzer, else the first to
/// claim it would win silently. Problems are reported at the written port.
private struct PortClaims {
    private var owners: [UInt16: (proto: ApplicationProtocol, item: ConfigValue?)] = [:]
    /// One report per written item and other protocol: two overlapping
    /// ranges are one mistake, not thousands of errors.
    private var reported = Set<String>()

    /// The section's `ports` (the defaults when absent), without repeats.
    mutating func read(_ section: ConfigSection, _ proto: ApplicationProtocol, enabled: Bool) -> [UInt16] {
        guard let value = section["ports"] else {
            if enabled { claimDefaults(of: proto) }
            return proto.defaultPorts
        }
        guard let items = value.items(of: "ports") else { return proto.defaultPorts }
        if enabled && items.isEmpty {
            value.report("an enabled protocol needs at least one port (set enabled: false to turn it off)")
        }
        var ports: [UInt16] = []
        var seen = Set<UInt16>()
        for item in items {
            guard let range = Self.portRange(item) else { continue }
            for port in range where seen.insert(port).inserted {
                ports.append(port)
                if enabled { claim(port, for: proto, at: item) }
            }
        }
        return ports
    }

    /// A port number, or a "low-high" range.
    private static func portRange(_ item: ConfigValue) -> ClosedRange<UInt16>? {
        if case .scalar(let scalar) = item.node, ScalarText(scalar).isIntegerSyntax {
            return item.port().map { $0...$0 }
        }
        guard let text = item.text() else { return nil }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let low = UInt16(bounds[0]), let high = UInt16(bounds[1]), low > 0, low <= high else {
            return item.fail("\(quoted(text)) is not a port (1-65535) or port range (low-high)")
        }
        return low...high
    }

    private mutating func claim(_ port: UInt16, for proto: ApplicationProtocol, at item: ConfigValue) {
        guard let owner = owners[port], owner.proto != proto else {
            owners[port] = (proto, item)
            return
        }
        let whose = owner.item.map { "given for \(owner.proto.rawValue) at \($0.path)" }
            ?? "one of \(owner.proto.rawValue)'s default ports (set protocols.\(owner.proto.rawValue).ports or disable it)"
        reportConflict(at: item, with: owner.proto, "port \(port) is already \(whose)")
    }

    private mutating func claimDefaults(of proto: ApplicationProtocol) {
        for port in proto.defaultPorts {
            guard let owner = owners[port], owner.proto != proto, let item = owner.item else {
                owners[port] = owners[port] ?? (proto, nil)
                continue
            }
            reportConflict(at: item, with: proto,
                           "port \(port) is also one of \(proto.rawValue)'s default ports (set protocols.\(proto.rawValue).ports or disable it)")
        }
    }

    private mutating func reportConflict(at item: ConfigValue, with other: ApplicationProtocol, _ message: String) {
        guard reported.insert("\(item.path) \(other.rawValue)").inserted else { return }
        item.report(message + "; a port belongs to one protocol")
    }
}
