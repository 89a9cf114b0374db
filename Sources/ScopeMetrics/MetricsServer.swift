import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the server could not start, in one line:
/// "cannot serve metrics on 127.0.0.1:9091: address already in use".
public struct MetricsServerError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// Serves `AgentMetrics` on http://host:port/metrics from one NIO event-loop
/// thread of its own (no Swift concurrency: DPDK's EAL owns the main thread
/// and must be set up before any Swift runtime threads start).
///
/// Bounds against slow or hostile clients: at most `maxConnections` open
/// connections, request heads of at most `maxRequestBytes`, connections idle
/// for `idleTimeout` closed, one response in flight per connection.
public final class MetricsServer {
    public let host: String
    public let port: Int
    public static let maxConnections = 32
    public static let maxRequestBytes = 16 * 1024
    public static let idleTimeout = TimeAmount.seconds(60)

    private let metrics: AgentMetrics
    private var group: MultiThreadedEventLoopGroup?
    private var channel: Channel?
    private var open: NIOLoopBoundBox<Int>?

    /// Connections open now (for tests).
    var openConnections: Int? {
        guard let open else { return nil }
        return try? open.eventLoop.submit { open.value }.wait()
    }

    public init(host: String = "127.0.0.1", port: Int = 9091, metrics: AgentMetrics) {
        self.host = host
        self.port = port
        self.metrics = metrics
    }

    deinit { stop() }

    /// The port actually bound (the ephemeral one when `port` is 0); nil
    /// before `start()` and after `stop()`.
    public var boundPort: Int? { channel?.localAddress?.port }

    /// Binds and starts serving; returns once the socket listens.
    public func start() throws {
        guard channel == nil else { return }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let open = NIOLoopBoundBox.makeBoxSendingValue(0, eventLoop: group.next())
        let metrics = self.metrics
        let bootstrap = ServerBootstrap(group: group)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                // One event loop: every connection's initializer and close run on it.
                guard open.value < Self.maxConnections else {
                    return channel.eventLoop.makeFailedFuture(TooManyConnections())
                }
                open.value += 1
                channel.closeFuture.whenComplete { _ in open.value -= 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel.pipeline.syncOperations, metrics: metrics)
                }
            }
        do {
            let socket = try ListeningSocket.bind(host: host, port: port)
            channel = try bootstrap.withBoundSocket(socket).wait()
            self.group = group
            self.open = open
        } catch {
            try? group.syncShutdownGracefully()
            throw MetricsServerError(description: "cannot serve metrics on \(Self.endpoint(host, port)): "
                                     + Self.reason(error))
        }
    }

    /// Closes the listening socket and every connection; the port is free
    /// when this returns. Not from the server's own event loop.
    public func stop() {
        let channel = self.channel
        let group = self.group
        self.channel = nil
        self.group = nil
        open = nil
        try? channel?.close().wait()
        try? group?.syncShutdownGracefully()
    }

    private static func configure(_ pipeline: ChannelPipeline.SynchronousOperations,
                                  metrics: AgentMetrics) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxRequestBytes
        limits.maxHeaderListSize = maxRequestBytes
        limits.maxHeaderFieldCount = 100
        let sizeLimit = RequestSizeLimit(maxBytes: maxRequestBytes)
        try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
        try pipeline.addHandler(sizeLimit)
        try pipeline.addHandler(HTTPResponseEncoder())
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(limitConfiguration: limits)))
        try pipeline.addHandler(MetricsHTTPHandler(metrics: metrics, limit: sizeLimit))
    }

    /// Refuses a connection past `maxConnections` (NIO closes it).
    private struct TooManyConnections: Error {}

    static func endpoint(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// "address already in use" rather than NIO's "bind(descriptor:ptr:bytes:): …".
    static func reason(_ error: Error) -> String {
        if let io = error as? IOError {
            let text = String(cString: strerror(io.errnoCode))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
        return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
