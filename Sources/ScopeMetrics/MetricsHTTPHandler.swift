import NIOCore
import NIOHTTP1

/// Closes a connection whose request grows past `maxBytes` before it ends.
/// NIO's decoder caps header fields but not the request line, so without
/// this a client could make it buffer a URL without end.
final class RequestSizeLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let maxBytes: Int
    private var received = 0

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytes
        guard received <= maxBytes else {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }

    /// A whole request arrived: the next one starts from zero.
    func requestEnded() { received = 0 }
}

/// GET /metrics → 200 and the exposition text; other paths 404, other
/// methods 405. Keep-alive as the client asks. A client that sends another
/// request before the previous response has left for the kernel (it is not
/// reading) is disconnected rather than having responses pile up here.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    private let metrics: AgentMetrics
    private let limit: RequestSizeLimit
    private var head: HTTPRequestHead?
    private var responding = false

    init(metrics: AgentMetrics, limit: RequestSizeLimit) {
        self.metrics = metrics
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
        case .body:
            break
        case .end:
            limit.requestEnded()
            guard let request = head, !responding else {
                context.close(promise: nil)
                return
            }
            head = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let status: HTTPResponseStatus
        var headers = HTTPHeaders()
        var body = context.channel.allocator.buffer(capacity: 0)
        if request.method != .GET {
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET")
            body.writeString("method not allowed\n")
        } else if path != "/metrics" {
            status = .notFound
            body.writeString("not found; metrics are at /metrics\n")
        } else {
            status = .ok
            body.writeBytes(metrics.expositionBytes())
        }
        let keepAlive = request.isKeepAlive
        headers.add(name: "Content-Type", value: status == .ok ? Self.contentType : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")

        responding = true
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status,
                                                              headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
            self.responding = false
            switch result {
            case .success where keepAlive: break
            default: context.close(promise: nil)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Parse errors, resets, oversized heads: the connection is done.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
