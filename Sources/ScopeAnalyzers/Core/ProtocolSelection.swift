/// Which protocols run and on which ports: the `--proto` option.
///
/// Grammar: `name[:port[,port|low-high]...][;name...]`, e.g.
/// `http:80,8080;dns:53` or `http:8000-8010;dns`. A name without ports keeps
/// its default ports; protocols not named are off. Content detection (on by
/// default) additionally finds enabled protocols on any other port.
///
/// A carried protocol (`grpc`, carried by `http2`) runs its carrier's
/// analyzer: its ports are the carrier's ports (the carrier's defaults when
/// none are given), and when the carrier itself is not named, only the
/// carrier's transactions of the carried protocol are reported.
public struct ProtocolSelection: Equatable, Sendable {
    /// The named protocols and their ports (a carried protocol's are its carrier's).
    private var table: [ApplicationProtocol: [UInt16]]
    public var detectByContent: Bool

    public struct SpecError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Every protocol on its default ports.
    public static let defaults = ProtocolSelection(
        table: Dictionary(uniqueKeysWithValues: ApplicationProtocol.allCases.map { ($0, $0.portsByDefault) }),
        detectByContent: true)

    init(table: [ApplicationProtocol: [UInt16]], detectByContent: Bool) {
        self.table = table
        self.detectByContent = detectByContent
    }

    public init(parsing spec: String, detectByContent: Bool = true) throws(SpecError) {
        var entries: [(ApplicationProtocol, [UInt16])] = []
        let items = spec.split(separator: ";", omittingEmptySubsequences: false)
            .map { $0.trimmingSpaces }
        guard items.contains(where: { !$0.isEmpty }) else { throw SpecError(description: "empty protocol list") }
        for item in items where !item.isEmpty {
            let parts = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].trimmingSpaces.lowercased()
            guard let proto = ApplicationProtocol(rawValue: name) else {
                throw SpecError(description: "unknown protocol '\(name)' (known: \(Self.knownNames))")
            }
            let ports = parts.count > 1 ? try Self.parsePorts(parts[1], for: name) : proto.portsByDefault
            entries.append((proto, ports))
        }
        try self.init(ports: entries, detectByContent: detectByContent)
    }

    /// The enabled protocols with their ports, checked as `--proto` is:
    /// each protocol once, each port to one analyzer (a carried protocol's
    /// ports are its carrier's: `http2:50051;grpc:50051` is one analyzer).
    public init(ports entries: [(ApplicationProtocol, [UInt16])], detectByContent: Bool) throws(SpecError) {
        self.detectByContent = detectByContent
        table = [:]
        var owner: [UInt16: (analyzer: ApplicationProtocol, named: ApplicationProtocol)] = [:]
        for (proto, ports) in entries {
            guard table[proto] == nil else { throw SpecError(description: "protocol '\(proto)' given twice") }
            let analyzer = proto.carrier ?? proto
            for port in ports {
                // One port, one analyzer: otherwise the first to claim it would win silently.
                if let other = owner[port], other.analyzer != analyzer {
                    throw SpecError(description: "port \(port) given for both \(other.named.rawValue) and \(proto)")
                }
                owner[port] = (analyzer, proto)
            }
            table[proto] = ports
        }
    }

    /// Every registered name, in registry order: "http, dns, ...".
    public static var knownNames: String { ApplicationProtocol.allCases.map(\.rawValue).joined(separator: ", ") }
    /// Every registered protocol's title, for help texts: "HTTP/1.x, DNS, ...".
    public static var knownTitles: String { ApplicationProtocol.allCases.map(\.definition.title).joined(separator: ", ") }

    /// Named in the selection (`--proto`, an enabled `protocols:` section).
    public func isEnabled(_ proto: ApplicationProtocol) -> Bool { table[proto] != nil }

    /// Its analyzer runs: it is named, or it carries a protocol that is.
    /// Never for a carried protocol (it has no analyzer of its own).
    public func runs(_ proto: ApplicationProtocol) -> Bool {
        proto.carrier == nil && (isEnabled(proto) || proto.carried.contains(where: isEnabled))
    }

    /// Every transaction of `proto`'s analyzer is reported (it is named),
    /// not only those of a carried protocol that is.
    public func reportsEverything(of proto: ApplicationProtocol) -> Bool { isEnabled(proto) }

    /// The ports `proto`'s analyzer runs on: its own, then those given for
    /// the protocols it carries; none for a carried protocol.
    public func ports(for proto: ApplicationProtocol) -> [UInt16] {
        guard proto.carrier == nil else { return [] }
        var ports = table[proto] ?? []
        for carried in proto.carried {
            for port in table[carried] ?? [] where !ports.contains(port) { ports.append(port) }
        }
        return ports
    }

    /// Enabled (named) protocols in registry order.
    public var enabled: [ApplicationProtocol] { ApplicationProtocol.allCases.filter(isEnabled) }
    /// Protocols whose analyzers run, in registry order: the enabled ones
    /// with transports, and the carriers of enabled carried ones.
    public var analyzed: [ApplicationProtocol] { ApplicationProtocol.allCases.filter(runs) }

    private static func parsePorts(_ text: Substring, for name: String) throws(SpecError) -> [UInt16] {
        var ports: [UInt16] = []
        var seen = Set<UInt16>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = item.trimmingSpaces
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = UInt16(bounds[0].trimmingSpaces), low > 0,
                  let high = bounds.count == 2 ? UInt16(bounds[1].trimmingSpaces) : low, high >= low else {
                throw SpecError(description: "bad port '\(item)' for \(name) (expected 1-65535 or low-high)")
            }
            for port in low...high where seen.insert(port).inserted { ports.append(port) }
        }
        return ports
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs. Walks UTF-8 code units
    /// (header values are trimmed per message: Characters cost too much).
    var trimmingSpaces: String {
        let bytes = utf8
        var start = bytes.startIndex
        while start < bytes.endIndex, bytes[start] == 0x20 || bytes[start] == 0x09 { start = bytes.index(after: start) }
        var end = start, index = start
        while index < bytes.endIndex {
            let next = bytes.index(after: index)
            if bytes[index] != 0x20 && bytes[index] != 0x09 { end = next }
            index = next
        }
        return String(self[start..<end])
    }
}
