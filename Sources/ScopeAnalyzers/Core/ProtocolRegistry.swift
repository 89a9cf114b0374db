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

/// The registry: every analyzer the engine knows, with Packetbeat's default
/// ports (and names: `pgsql`, `memcache`) and the transports it runs on.
/// Adding a protocol means a case here, its detector and its session factory
/// (`TCPSessionTable.makeAnalyzer`, `AnalysisEngine.handleDatagram`).
public enum ApplicationProtocol: String, CaseIterable, Sendable {
    case http
    case dns
    case redis
    case mysql
    case pgsql
    case memcache
    /// Echo pairing and errors; not a stream or port protocol.
    case icmp

    public var defaultPorts: [UInt16] {
        switch self {
        case .http: [80, 8080, 8000, 5000, 8002]
        case .dns: [53]
        case .redis: [6379]
        case .mysql: [3306]
        case .pgsql: [5432]
        case .memcache: [11211]
        case .icmp: []
        }
    }

    public var runsOverTCP: Bool { self != .icmp }
    public var runsOverUDP: Bool { self == .dns || self == .memcache }

    /// Content detection from the first bytes of a direction (at most
    /// `ProtocolDetection.prefixLength` of them when the answer was
    /// `.needMore` before). UDP gets whole datagrams.
    public func detect(_ bytes: UnsafeRawBufferPointer, transport: TransactionTransport) -> ContentMatch {
        switch self {
        case .http: transport == .tcp ? HTTPDetection.match(bytes) : .no
        case .dns: transport == .tcp ? DNSDetection.matchStream(bytes) : DNSDetection.matchDatagram(bytes)
        case .redis: transport == .tcp ? RedisDetection.match(bytes) : .no
        case .mysql: transport == .tcp ? MySQLDetection.match(bytes) : .no
        case .pgsql: transport == .tcp ? PgSQLDetection.match(bytes) : .no
        case .memcache: transport == .tcp ? MemcacheDetection.matchStream(bytes) : MemcacheDetection.matchDatagram(bytes)
        case .icmp: .no
        }
    }
}

/// Port lookups in O(1): one byte per port and transport, holding the
/// protocol's `counterIndex` + 1 (0 = none). One plain allocation, not
/// arrays: a lookup per packet then costs no retain and release, and the
/// map is noncopyable, so it is only ever borrowed from its context.
struct PortMap: ~Copyable {
    /// TCP ports at 0..<65_536, UDP ports after them.
    private let table: UnsafeMutablePointer<UInt8>

    init(_ selection: ProtocolSelection) {
        table = .allocate(capacity: 2 << 16)
        table.initialize(repeating: 0, count: 2 << 16)
        for proto in ApplicationProtocol.allCases {
            for port in selection.ports(for: proto) {
                let entry = UInt8(proto.counterIndex + 1)
                if proto.runsOverTCP { table[Int(port)] = entry }
                if proto.runsOverUDP { table[1 << 16 | Int(port)] = entry }
            }
        }
    }

    deinit { table.deallocate() }

    func lookup(_ port: UInt16, _ transport: TransactionTransport) -> ApplicationProtocol? {
        ApplicationProtocol(counterIndex: Int(table[(transport == .tcp ? 0 : 1 << 16) | Int(port)]) - 1)
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
