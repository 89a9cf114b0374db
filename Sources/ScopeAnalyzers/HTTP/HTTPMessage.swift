/// One HTTP/1.x request or response as the parser saw it. Only the header
/// values events use are kept (all headers only when configured); bodies are
/// counted, not stored, unless body capture asked for them.
public struct HTTPMessage: Sendable {
    public var isRequest: Bool
    /// Request line (requests).
    public var method = ""
    public var target = ""
    /// Status line (responses).
    public var statusCode = 0
    public var statusPhrase = ""
    /// "1.1", "1.0".
    public var version = ""
    public var host: String?
    public var userAgent: String?
    public var contentType: String?
    public var referrer: String?
    /// From a valid W3C `traceparent` (requests): the trace, and the span
    /// of the caller that sent the request (lowercase hex).
    public var traceID: String?
    public var parentSpanID: String?
    /// The Upgrade header's value: the protocols a request offers, the one
    /// a 101 response switches to.
    public var upgrade: String?
    /// Every header, redacted, when `includeHTTPHeaders` is on.
    public var headers: [(name: String, value: String)] = []
    /// Start line and headers (and trailers), including line ends.
    public var headerBytes: UInt64 = 0
    /// Body bytes after transfer decoding (chunk payloads only).
    public var bodyBytes: UInt64 = 0
    /// Everything on the wire: headers, body, chunk framing, trailers.
    public var bytes: UInt64 = 0
    public var body: [UInt8]?
    public var start: UInt64 = 0
    public var end: UInt64 = 0
    /// False when the message was cut by a gap or by the end of the stream.
    public var complete = true
    /// The body's chunked framing was broken (bad size line, missing CRLF):
    /// the head is reported, the body is not complete.
    public var bodyError = false
    public var notes: [String] = []

    public init(isRequest: Bool) {
        self.isRequest = isRequest
    }

    /// Media type without parameters ("text/html; charset=utf-8" → "text/html").
    public var mimeType: String? {
        guard let type = mimeTypeText else { return nil }
        // Almost always lowercase already: lowercased() would copy anyway.
        return Self.hasUppercaseASCII(type) ? type.lowercased() : String(type)
    }

    /// `mimeType` before lowercasing, as a slice of `contentType`.
    var mimeTypeText: Substring? {
        guard let contentType else { return nil }
        var bytes = contentType.utf8[...]
        if let end = bytes.firstIndex(of: UInt8(ascii: ";")) { bytes = bytes[..<end] }
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return bytes.isEmpty ? nil : Substring(bytes)
    }

    static func hasUppercaseASCII(_ text: Substring) -> Bool { text.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } }

    /// Whether the Upgrade header names h2c (HTTP/2 in clear, RFC 7540 §3.2).
    var upgradesToH2C: Bool {
        upgrade?.split(separator: ",").contains { $0.trimmingSpaces.lowercased() == "h2c" } ?? false
    }

    /// Interim (1xx) responses other than 101 precede the real response.
    var isInterim: Bool { !isRequest && statusCode >= 100 && statusCode < 200 && statusCode != 101 }
}

/// A request and its response; either may be missing (an Error event).
/// A value type whose two messages live in one immutable box: an event
/// holds its details as `any TransactionDetail`, whose inline buffer is
/// three words. Two messages inline (about 500 bytes) were copied into a
/// heap box and the originals destroyed, once per transaction (callgrind:
/// 1.2 k instructions); one reference fits the buffer and moves whole.
/// The box's fields are constants, so reading them borrows in place; a
/// change makes a new box (only tests change a transaction).
public struct HTTPTransaction: Sendable {
    /// Read in place by the event writer (`HTTPEvent.swift`).
    private(set) var storage: Storage

    public init(request: consuming HTTPMessage?, response: consuming HTTPMessage?) {
        storage = Storage(request: request, response: response)
    }

    /// The messages moved out of where they lie (the memory is left
    /// uninitialised), straight into the box: HTTP/2's streams.
    init(movingRequest request: UnsafeMutablePointer<HTTPMessage>?, response: UnsafeMutablePointer<HTTPMessage>?) {
        storage = Storage(movingRequest: request, response: response)
    }

    public var request: HTTPMessage? {
        _read { yield storage.request }
        set { storage = Storage(request: newValue, response: storage.response) }
    }

    public var response: HTTPMessage? {
        _read { yield storage.response }
        set { storage = Storage(request: storage.request, response: newValue) }
    }

    final class Storage: Sendable {
        let request: HTTPMessage?
        let response: HTTPMessage?

        init(request: consuming HTTPMessage?, response: consuming HTTPMessage?) {
            self.request = request
            self.response = response
        }

        init(movingRequest request: UnsafeMutablePointer<HTTPMessage>?, response: UnsafeMutablePointer<HTTPMessage>?) {
            self.request = request?.move()
            self.response = response?.move()
        }
    }
}

/// A request that `101 Switching Protocols` upgraded to h2c, and that 101:
/// what HTTP/1's session passes to HTTP/2's (`StreamHandOver`), whose
/// stream 1 carries the request's response. A class: every HTTP session
/// has room for one pending upgrade, and two messages inline (about 530
/// bytes) made each session's object that much bigger to allocate, clear
/// and destroy, for an upgrade that almost never comes.
final class HTTPUpgrade {
    let request: HTTPMessage
    let response: HTTPMessage

    init(request: HTTPMessage, response: HTTPMessage) {
        self.request = request
        self.response = response
    }
}
