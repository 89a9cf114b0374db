import ScopeDecode

/// The two ends of a transaction: the client sent the request.
public struct TransactionEndpoints: Equatable, Sendable {
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16
    public var transport: TransactionTransport
    public var vlanID: UInt16
    /// A TCP session's endpoints never change: it hashes them and renders
    /// the hash's text once, not once per event (`cacheCommunityID`). The
    /// cache remembers what it hashed, so endpoints changed since are
    /// hashed afresh.
    private var cached: (text: CommunityIDText, of: TransactionEndpointsKey)?

    public init(client: IPAddress, clientPort: UInt16, server: IPAddress, serverPort: UInt16,
                transport: TransactionTransport, vlanID: UInt16 = 0) {
        self.client = client
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
        self.transport = transport
        self.vlanID = vlanID
    }

    /// From a flow key and the direction the client sends in.
    init(key: FlowKey, client: FlowDirection, transport: TransactionTransport) {
        let low = client == .fromLow
        self.init(client: low ? key.lowAddress : key.highAddress, clientPort: low ? key.lowPort : key.highPort,
                  server: low ? key.highAddress : key.lowAddress, serverPort: low ? key.highPort : key.lowPort,
                  transport: transport, vlanID: key.vlanID)
    }

    /// One UDP datagram's endpoints, the client on the side `fromClient` says.
    init(datagram packet: DecodedPacket, fromClient: Bool) {
        self.init(client: fromClient ? packet.source : packet.destination,
                  clientPort: fromClient ? packet.sourcePort : packet.destinationPort,
                  server: fromClient ? packet.destination : packet.source,
                  serverPort: fromClient ? packet.destinationPort : packet.sourcePort,
                  transport: .udp, vlanID: packet.vlanIDs.outer)
    }

    public static func == (lhs: TransactionEndpoints, rhs: TransactionEndpoints) -> Bool {
        lhs.client == rhs.client && lhs.clientPort == rhs.clientPort && lhs.server == rhs.server
            && lhs.serverPort == rhs.serverPort && lhs.transport == rhs.transport && lhs.vlanID == rhs.vlanID
    }

    /// The endpoints without the VLAN: what the community ID hashes, and
    /// what datagram correlators key their tables by.
    var key: TransactionEndpointsKey {
        TransactionEndpointsKey(client: client, clientPort: clientPort, server: server, serverPort: serverPort,
                                transport: transport)
    }

    mutating func cacheCommunityID() {
        cached = (CommunityIDText(computeCommunityID()), key)
    }

    /// For ICMP, the ports hold the request's type and code (the
    /// `CommunityID.digest` convention).
    var communityID: SHA1Digest { computeCommunityID() }

    /// `communityID` as text, when `cacheCommunityID` rendered it for
    /// these endpoints (a TCP session's); nil otherwise.
    var cachedCommunityID: CommunityIDText? {
        if let cached, cached.of == key { return cached.text }
        return nil
    }

    private func computeCommunityID() -> SHA1Digest {
        let ipProtocol: UInt8 = switch transport {
        case .tcp: 6
        case .udp: 17
        case .icmp: client.family == .ipv6 ? 58 : 1
        }
        return CommunityID.digest(source: client, destination: server, ipProtocol: ipProtocol,
                                  sourcePort: clientPort, destinationPort: serverPort)
    }
}

/// `TransactionEndpoints` without the VLAN (Hashable, cheap).
struct TransactionEndpointsKey: Hashable, Sendable {
    var client: IPAddress
    var clientPort: UInt16
    var server: IPAddress
    var serverPort: UInt16
    var transport: TransactionTransport
}

/// Packetbeat's `status`: OK, or Error for failed, unanswered and
/// unsolicited exchanges.
public enum TransactionStatus: String, Sendable {
    case ok = "OK"
    case error = "Error"
}

/// The protocol-specific part of an event: each protocol's transaction
/// type answers what the shared event code, the dashboard and the metrics
/// ask of it. Called per transaction, never per packet.
public protocol TransactionDetail: Sendable {
    /// A request and its response were both seen.
    var isMatched: Bool { get }
    /// The protocol part of `TransactionEvent.line`.
    var summary: String { get }
    /// The protocol's own JSON fields (and `method`/`query`/`resource`).
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints)
    /// `TransactionEvent.method`: from a small vocabulary, "?" when the
    /// request was not seen.
    var methodName: String { get }
    /// `TransactionEvent.resource`: what the request was about.
    func resourceName(endpoints: TransactionEndpoints) -> String
    /// `TransactionEvent.outcome`: a small vocabulary, "unanswered" when
    /// no response came.
    func outcomeName(status: TransactionStatus) -> String
    /// The request was never seen (a response on its own). By default the
    /// method says so ("?"); protocols that name the method from the
    /// response answer from their request field.
    func requestMissing(method: String) -> Bool
    /// The carried protocol this transaction is of (an HTTP/2 stream that
    /// is a gRPC call: `.grpc`), nil when it is only its own protocol's.
    /// Decides whether it is reported when only the carried protocol is
    /// selected (`ProtocolDefinition.carrierName`).
    var carriedProtocol: ApplicationProtocol? { get }
}

extension TransactionDetail {
    public func requestMissing(method: String) -> Bool { method == "?" }
    public var carriedProtocol: ApplicationProtocol? { nil }
}

extension TransactionStatus {
    /// The outcome of an answered exchange for protocols without status classes.
    var okOrError: String { self == .ok ? "ok" : "error" }
}

/// One application transaction: a request and its response, or either one
/// alone (then `status` is `.error` and `notes` say why).
public struct TransactionEvent: Sendable {
    public var application: ApplicationProtocol
    public var endpoints: TransactionEndpoints
    /// First byte of the request (of the response when there is no request).
    public var start: UInt64
    /// Last byte of the response (of the request when there is none, or the
    /// time the request was given up).
    public var end: UInt64
    /// Wire bytes of the request and the response (application layer).
    public var requestBytes: UInt64
    public var responseBytes: UInt64
    public var status: TransactionStatus
    /// Why the event is incomplete or unusual; `error.message` in JSON.
    public var notes: [String]
    public var details: any TransactionDetail

    public var duration: UInt64 { end >= start ? end &- start : 0 }
    public var isMatched: Bool { details.isMatched }
}
