import ScopeAnalyzers
import ScopeDecode

/// A server: address and port (port 0 for ICMP, whose "ports" are the
/// message type and code and would split one host into many rows).
public struct ServerEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public var description: String {
        if port == 0 { return address.description }
        return address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// What the dashboard keeps of one transaction.
public struct TransactionSample: Sendable {
    public var application: ApplicationProtocol
    public var server: ServerEndpoint
    public var latency: UInt64
    public var bytes: UInt64
    public var isError: Bool
    /// Unbounded and attacker-controlled: ranked capped, shown sanitized.
    public var resource: String

    public init(application: ApplicationProtocol, server: ServerEndpoint, latency: UInt64, bytes: UInt64,
                isError: Bool, resource: String) {
        self.application = application
        self.server = server
        self.latency = latency
        self.bytes = bytes
        self.isError = isError
        self.resource = resource
    }

    public init(_ event: TransactionEvent) {
        let port = event.application == .icmp ? 0 : event.endpoints.serverPort
        self.init(application: event.application,
                  server: ServerEndpoint(address: event.endpoints.server, port: port),
                  latency: event.duration, bytes: event.requestBytes &+ event.responseBytes,
                  isError: event.status == .error, resource: event.resource)
    }
}
