import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// What a receiver says and where it is, made fit for one log line: a
/// reply body is read up to a bound and shown as printable text only, and
/// a URL's `user:password@` is never printed.
public enum ResponseText {
    /// Most bytes of a reply body kept (the rest is read and dropped).
    public static let maxBodyBytes = 64 << 10

    /// Printable ASCII, other bytes as `?`, runs of whitespace as one
    /// space, at most `limit` characters (then `…`).
    public static func sanitized(_ bytes: some Collection<UInt8>, limit: Int = 200) -> String {
        var text = ""
        var lastWasSpace = false
        for byte in bytes {
            if text.count >= limit { return text + "…" }
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                if !lastWasSpace && !text.isEmpty { text.append(" ") }
                lastWasSpace = true
            } else {
                text.append(byte > 0x20 && byte < 0x7F ? Character(UnicodeScalar(byte)) : "?")
                lastWasSpace = false
            }
        }
        return lastWasSpace ? String(text.dropLast()) : text
    }

    /// `scheme://user:password@host…` as `scheme://REDACTED@host…`.
    public static func redactingUserInfo(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd.upperBound]) + "REDACTED" + String(rest[at...])
    }
}

/// A response whose body is kept up to `ResponseText.maxBodyBytes`: a
/// receiver answering with a huge or endless body cannot make the output
/// hold it (the deadline ends an endless one).
final class CappedResponse: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = (head: HTTPResponseHead, body: [UInt8])
    private var head = HTTPResponseHead(version: .http1_1, status: .ok)
    private(set) var body: [UInt8] = []
    let limit: Int

    init(limit: Int = ResponseText.maxBodyBytes) { self.limit = limit }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        self.head = head
        return task.eventLoop.makeSucceededFuture(())
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        keep(buffer.readableBytesView)
        return task.eventLoop.makeSucceededFuture(())
    }

    func keep(_ part: some Collection<UInt8>) {
        let room = limit - body.count
        if room > 0 { body += part.prefix(room) }
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response { (head, body) }
}
