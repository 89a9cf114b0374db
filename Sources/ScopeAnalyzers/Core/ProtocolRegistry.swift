import ScopeDecode

/// Transport a transaction travelled over.
public enum TransactionTransport: UInt8, Sendable {
    case tcp
    case udp
    /// ICMP (v4) or ICMPv6, by the client address family.
    case icmp

    public var name: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        }
    }
}

/// What the first bytes of one direction say about a protocol.
public enum ContentMatch: Equatable, Sendable {
    case no
    /// A proper prefix of something that would match: wait for more bytes.
    case needMore
    /// Looks like this protocol, sent by the client (a request) ...
    case fromClient
    /// ... or by the server (a response).
    case fromServer
}

/// Every protocol dpdkscope analyses. Adding one is its folder (with its
/// `ProtocolDefinition` and an `ApplicationProtocol` constant) plus one
/// line here. The order is the registry order: content detection tries
/// protocols in it, and tables and reference text list them in it.
enum ProtocolRegistry {
    static let definitions: [ProtocolDefinition] = [
        HTTPProtocol.definition,
        DNSProtocol.definition,
        RedisProtocol.definition,
        MySQLProtocol.definition,
        PgSQLProtocol.definition,
        MemcacheProtocol.definition,
        ICMPProtocol.definition,
        TLSProtocol.definition,
        HTTP2Protocol.definition,
        GRPCProtocol.definition,
    ]

    /// The names alone, for the per-event paths (a definition is a large
    /// value to copy).
    static let names = definitions.map(\.name)

    /// Per protocol (by index): the index of its carrier, nil for a protocol
    /// with transports of its own. A carrier missing from the registry, or
    /// itself carried, stops here at first use rather than never running.
    static let carriers: [Int?] = definitions.map { definition in
        guard let name = definition.carrierName else { return nil }
        guard let index = definitions.firstIndex(where: { $0.name == name }), definitions[index].carrierName == nil,
              definition.transports.isEmpty else {
            preconditionFailure("protocol '\(definition.name)' is carried by '\(name)', which is not a registered protocol with transports")
        }
        return index
    }
}

/// A registered protocol: its position in `ProtocolRegistry.definitions`,
/// so per-protocol tables are arrays indexed by it and a lookup per packet
/// costs no hashing, allocation or ARC.
public struct ApplicationProtocol: Hashable, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    let index: Int

    public static let allCases: [ApplicationProtocol] = ProtocolRegistry.definitions.indices.map {
        ApplicationProtocol(index: $0)
    }

    private init(index: Int) { self.index = index }

    /// The protocol registered under `name`, nil when there is none.
    public init?(rawValue name: String) {
        guard let index = ProtocolRegistry.definitions.firstIndex(where: { $0.name == name }) else { return nil }
        self.index = index
    }

    /// For a protocol folder's constant (`ApplicationProtocol.http`). A
    /// folder whose definition is missing from the registry stops here,
    /// at the first use of its constant, rather than vanishing silently.
    init(registered name: String) {
        guard let found = Self(rawValue: name) else {
            preconditionFailure("protocol '\(name)' has a folder but no line in ProtocolRegistry.definitions")
        }
        self = found
    }

    /// For tables this module filled with valid indices (the port map).
    init(uncheckedIndex: Int) { index = uncheckedIndex }

    /// Position in `allCases` (registry order), for tables kept outside
    /// this module.
    public var registryIndex: Int { index }

    public var definition: ProtocolDefinition { ProtocolRegistry.definitions[index] }
    public var rawValue: String { ProtocolRegistry.names[index] }
    public var description: String { rawValue }
    public var defaultPorts: [UInt16] { definition.defaultPorts }
    /// The ports naming it alone gives: its default ports, or for a carried
    /// protocol its carrier's (`--proto grpc` runs http2's analyzer on 50051).
    public var portsByDefault: [UInt16] { carrier?.defaultPorts ?? defaultPorts }
    public var runsOverTCP: Bool { definition.transports.contains(.tcp) }
    public var runsOverUDP: Bool { definition.transports.contains(.udp) }
    public var runsOverICMP: Bool { definition.transports.contains(.icmp) }
    /// The protocol whose sessions carry this one (gRPC: HTTP/2), nil for
    /// one with transports of its own.
    public var carrier: ApplicationProtocol? { ProtocolRegistry.carriers[index].map { ApplicationProtocol(index: $0) } }
    /// The protocols this one carries (HTTP/2: gRPC).
    public var carried: [ApplicationProtocol] { Self.allCases.filter { $0.carrier == self } }

    public static func < (lhs: ApplicationProtocol, rhs: ApplicationProtocol) -> Bool { lhs.index < rhs.index }

    /// Content detection from the first bytes of a direction (at most
    /// `ProtocolDetection.prefixLength` of them when the answer was
    /// `.needMore` before). UDP gets whole datagrams.
    public func detect(_ bytes: UnsafeRawBufferPointer, transport: TransactionTransport) -> ContentMatch {
        switch transport {
        case .tcp: runsOverTCP ? definition.detectStream?(bytes) ?? .no : .no
        case .udp: runsOverUDP ? definition.detectDatagram?(bytes) ?? .no : .no
        case .icmp: .no
        }
    }
}

/// Port lookups in O(1): one byte per port and transport, holding the
/// protocol's registry index + 1 (0 = none, `lookalike` = no protocol and
/// no detection by content either). One plain allocation, not
/// arrays: a lookup per packet then costs no retain and release, and the
/// map is noncopyable, so it is only ever borrowed from its context.
struct PortMap: ~Copyable {
    /// TCP ports at 0..<65_536, UDP ports after them.
    private let table: UnsafeMutablePointer<UInt8>

    init(_ selection: ProtocolSelection) {
        table = .allocate(capacity: 2 << 16)
        table.initialize(repeating: 0, count: 2 << 16)
        for proto in ApplicationProtocol.allCases {
            for port in proto.definition.lookalikePorts {
                table[Int(port)] = Self.lookalike
                table[1 << 16 | Int(port)] = Self.lookalike
            }
        }
        for proto in ApplicationProtocol.allCases {
            for port in selection.ports(for: proto) {
                let entry = UInt8(proto.index + 1)
                if proto.runsOverTCP { table[Int(port)] = entry }
                if proto.runsOverUDP { table[1 << 16 | Int(port)] = entry }
            }
        }
    }

    deinit { table.deallocate() }

    private static let lookalike: UInt8 = 0xFF

    func lookup(_ port: UInt16, _ transport: TransactionTransport) -> ApplicationProtocol? {
        let entry = table[(transport == .tcp ? 0 : 1 << 16) | Int(port)]
        return entry == 0 || entry == Self.lookalike ? nil : ApplicationProtocol(uncheckedIndex: Int(entry) &- 1)
    }

    /// Whether content detection may claim traffic between these ports:
    /// not when either is a look-alike protocol's.
    func allowsDetection(_ one: UInt16, _ other: UInt16, _ transport: TransactionTransport) -> Bool {
        let base = transport == .tcp ? 0 : 1 << 16
        return table[base | Int(one)] != Self.lookalike && table[base | Int(other)] != Self.lookalike
    }
}

/// Detection by content over every enabled protocol.
enum ProtocolDetection {
    /// Bytes a direction may hold back while every detector says `.needMore`.
    static let prefixLength = 16

    static func detect(_ bytes: UnsafeRawBufferPointer, transport: TransactionTransport,
                       among protocols: [ApplicationProtocol]) -> (ApplicationProtocol?, ContentMatch) {
        var waiting = false
        for proto in protocols {
            switch proto.detect(bytes, transport: transport) {
            case .no: continue
            case .needMore: waiting = true
            case let match: return (proto, match)
            }
        }
        return (nil, waiting && bytes.count < prefixLength ? .needMore : .no)
    }
}
