import ScopeDecode

/// The two ends of a transaction: the client sent the request.
public struct TransactionEndpoints: Equatable, Sendable {
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16
    public var transport: TransactionTransport
    public var vlanID: UInt16

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

    var communityID: SHA1Digest {
        CommunityID.digest(source: client, destination: server, ipProtocol: transport == .tcp ? 6 : 17,
                           sourcePort: clientPort, destinationPort: serverPort)
    }
}

/// Packetbeat's `status`: OK, or Error for failed, unanswered and
/// unsolicited exchanges.
public enum TransactionStatus: String, Sendable {
    case ok = "OK"
    case error = "Error"
}

/// The protocol-specific part of an event.
public enum TransactionDetails: Sendable {
    case http(HTTPTransaction)
    case dns(DNSTransaction)
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
    public var details: TransactionDetails

    public var duration: UInt64 { end >= start ? end &- start : 0 }
    public var isMatched: Bool {
        switch details {
        case .http(let http): http.request != nil && http.response != nil
        case .dns(let dns): dns.request != nil && dns.response != nil
        }
    }
}
