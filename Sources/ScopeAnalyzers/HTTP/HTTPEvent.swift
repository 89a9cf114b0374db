import ScopeDecode

extension HTTPTransaction: TransactionDetail {
    public var isMatched: Bool { request != nil && response != nil }

    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        // The fixed part is under 1 KiB; the target is written three times.
        let room = 1024 &+ (request?.textBytes ?? 0) &* 2 &+ (response?.textBytes ?? 0) &* 2
        json.write(reserving: room) { appendFields(to: &$0, endpoints: endpoints) }
    }

    private func appendFields(to json: inout JSONCursor, endpoints: TransactionEndpoints) {
        let box = storage
        if let request = box.request {
            if !Self.appendURLFast(request, endpoints: endpoints, to: &json) {
                Self.appendURL(request, endpoints: endpoints, to: &json)
            }
            if let agent = request.userAgent {
                json.verbatim(#""user_agent":{"original":"#)
                HTTPJSONText.string(agent, to: &json)
                json.endObject()
            }
            if let trace = request.traceID, let span = request.parentSpanID {
                json.beginObject("trace")
                json.field("id", trace)
                json.endObject()
                json.beginObject("span")
                json.field("id", span)
                json.endObject()
            }
        }
        json.verbatim(#""http":{"version":"#)
        HTTPJSONText.string(box.request?.version ?? box.response?.version ?? "", to: &json)
        if let request = box.request {
            json.verbatim(#","request":{"method":"#)
            HTTPJSONText.string(request.method, to: &json)
            request.appendCommon(to: &json)
            json.optional("referrer", request.referrer)
            json.endObject()
        }
        if let response = box.response {
            json.verbatim(#","response":{"status_code":"#)
            json.number(UInt64(response.statusCode))
            json.verbatim(#""status_phrase":"#)
            Self.appendLowercased(response.statusPhrase, to: &json)
            response.appendCommon(to: &json)
            json.endObject()
        }
        json.endObject()
    }

    /// `method`, `query` and `url` when the target is in origin form
    /// ("/path?query") and the target, the Host and the method are ASCII
    /// needing no escapes (nearly always): the parts are found by byte and
    /// each value is copied as it is. False (nothing written) otherwise.
    private static func appendURLFast(_ request: borrowing HTTPMessage, endpoints: TransactionEndpoints,
                                      to json: inout JSONCursor) -> Bool {
        guard let host = request.host else { return false }
        return HTTPJSONText.withBytes(request.method) { method in
            HTTPJSONText.withBytes(request.target) { target in
                HTTPJSONText.withBytes(host) { host in
                    appendURLFast(method: method, target: target, host: host, port: endpoints.serverPort, to: &json)
                }
            }
        }
    }

    private static func appendURLFast(method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, host: UnsafeRawBufferPointer,
                                      port serverPort: UInt16, to json: inout JSONCursor) -> Bool {
        guard target.first == UInt8(ascii: "/"), !host.isEmpty, HTTPJSONText.isClean(target), HTTPJSONText.isClean(host),
              HTTPJSONText.isClean(method) else { return false }
        // The authority as `HTTPURL.split` cuts it: "host", "host:port", "[v6]", "[v6]:port".
        var domain = host
        var port = serverPort
        if host[0] == UInt8(ascii: "["), let close = host.firstIndex(of: UInt8(ascii: "]")) {
            domain = UnsafeRawBufferPointer(rebasing: host[1..<close])
            if close &+ 1 < host.count, host[close &+ 1] == UInt8(ascii: ":"),
               let value = HTTPURL.port(host[(close &+ 2)...]) { port = value }
        } else if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            domain = UnsafeRawBufferPointer(rebasing: host[..<colon])
            if let value = HTTPURL.port(host[(colon &+ 1)...]) { port = value }
        }
        let bracketed = domain.contains(UInt8(ascii: ":"))
        // The target starts with "/": the path is never empty.
        var path = target
        var query: UnsafeRawBufferPointer?
        if let mark = target.firstIndex(of: UInt8(ascii: "?")) {
            path = UnsafeRawBufferPointer(rebasing: target[..<mark])
            query = UnsafeRawBufferPointer(rebasing: target[(mark &+ 1)...])
        }
        json.key("method")
        json.asciiString(maxLength: method.count) { HTTPJSONText.put(method, at: $0) - $0 }
        json.key("query")
        json.asciiString(maxLength: method.count &+ 1 &+ path.count) { start in
            var end = HTTPJSONText.put(method, at: start)
            end = HTTPJSONText.put(UInt8(ascii: " "), at: end)
            return HTTPJSONText.put(path, at: end) - start
        }
        json.verbatim(#""url":{"scheme":"http","domain":"#)
        json.asciiString(maxLength: domain.count) { HTTPJSONText.put(domain, at: $0) - $0 }
        json.verbatim(#""port":"#)
        json.number(UInt64(port))
        json.verbatim(#""path":"#)
        json.asciiString(maxLength: path.count) { HTTPJSONText.put(path, at: $0) - $0 }
        if let query {
            json.key("query")
            json.asciiString(maxLength: query.count) { HTTPJSONText.put(query, at: $0) - $0 }
        }
        json.key("full")
        let length = 9 &+ domain.count &+ 6 &+ path.count &+ 1 &+ (query?.count ?? 0)
        json.asciiString(maxLength: length) { start in
            var end = start
            let scheme: StaticString = "http://"
            end = HTTPJSONText.put(UnsafeRawBufferPointer(start: scheme.utf8Start, count: 7), at: end)
            if bracketed { end = HTTPJSONText.put(UInt8(ascii: "["), at: end) }
            end = HTTPJSONText.put(domain, at: end)
            if bracketed { end = HTTPJSONText.put(UInt8(ascii: "]"), at: end) }
            if port != 80 {
                end = HTTPJSONText.put(UInt8(ascii: ":"), at: end)
                end = HTTPJSONText.put(decimal: UInt64(port), at: end)
            }
            end = HTTPJSONText.put(path, at: end)
            if let query {
                end = HTTPJSONText.put(UInt8(ascii: "?"), at: end)
                end = HTTPJSONText.put(query, at: end)
            }
            return end - start
        }
        json.endObject()
        return true
    }

    /// `method`, `query` and `url` through `HTTPURL`: any target and Host.
    private static func appendURL(_ request: HTTPMessage, endpoints: TransactionEndpoints, to json: inout JSONCursor) {
        let url = HTTPURL(request: request, endpoints: endpoints)
        json.field("method", request.method)
        json.key("query")
        json.beginString()
        json.piece(request.method)
        json.piece(" ")
        url.appendPath(to: &json, asPiece: true)
        json.endString()
        json.beginObject("url")
        json.field("scheme", url.scheme)
        json.key("domain")
        url.appendDomain(to: &json)
        json.field("port", UInt64(url.port))
        json.key("path")
        url.appendPath(to: &json)
        if let query = url.query {
            json.key("query")
            url.write(query, to: &json)
        }
        json.key("full")
        json.beginString()
        url.appendFull(to: &json)
        json.endString()
        json.endObject()
    }

    /// `text.lowercased()` as a string value (the status phrase).
    private static func appendLowercased(_ text: String, to json: inout JSONCursor) {
        let done = HTTPJSONText.withBytes(text) { bytes -> Bool in
            guard HTTPJSONText.isClean(bytes) else { return false }
            json.asciiString(maxLength: bytes.count) { start in
                for index in 0..<bytes.count {
                    let byte = bytes[index]
                    start[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                }
                return bytes.count
            }
            return true
        }
        if !done { json.lowercased(text) }
    }

    /// "GET /a.txt -> 200 OK" (either side may be "?").
    public var summary: String {
        let asked = request.map { "\($0.method) \($0.target)" } ?? "?"
        let answered = response.map { "\($0.statusCode) \($0.statusPhrase)" } ?? "?"
        return "\(asked) -> \(answered)"
    }
}

extension HTTPMessage {
    /// Bytes of text an event may copy from the message (escaping aside).
    fileprivate var textBytes: Int {
        var total = method.utf8.count &+ target.utf8.count &* 3 &+ statusPhrase.utf8.count &+ (host?.utf8.count ?? 0)
        total &+= (userAgent?.utf8.count ?? 0) &+ (contentType?.utf8.count ?? 0) &+ (referrer?.utf8.count ?? 0)
        total &+= traceID == nil ? 0 : 80
        for (name, value) in headers { total &+= name.utf8.count &+ value.utf8.count &+ 8 }
        return total &+ (body?.count ?? 0)
    }

    /// `appendMimeType` for a Content-Type that is ASCII needing no escapes
    /// and has no capitals in its type (nearly always): the type copied as
    /// it is. False (nothing written) otherwise.
    @inline(__always)
    private static func appendMimeTypeFast(_ bytes: UnsafeRawBufferPointer, to json: inout JSONCursor) -> Bool {
        guard HTTPJSONText.isClean(bytes) else { return false }
        var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
        var start = 0
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start &+= 1 }
        while end > start && (bytes[end &- 1] == 0x20 || bytes[end &- 1] == 0x09) { end &-= 1 }
        guard end > start else { return true }
        let type = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard !type.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return false }
        json.verbatim(#""mime_type":"#)
        json.asciiString(maxLength: type.count) { HTTPJSONText.put(type, at: $0) - $0 }
        return true
    }

    /// `mime_type` as `mimeType` has it, from the bytes of Content-Type.
    private static func appendMimeType(_ contentType: String, to json: inout JSONCursor) {
        var contentType = contentType
        contentType.withUTF8 { bytes in
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            var start = 0
            while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start &+= 1 }
            while end > start && (bytes[end &- 1] == 0x20 || bytes[end &- 1] == 0x09) { end &-= 1 }
            guard end > start else { return }
            let type = UnsafeBufferPointer(rebasing: bytes[start..<end])
            json.key("mime_type")
            // Only a type with an ASCII capital is lowercased (see `mimeType`).
            guard type.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return json.string(utf8: UnsafeRawBufferPointer(type)) }
            if json.lowercased(ascii: type) == nil {
                json.string(String(decoding: type, as: UTF8.self).lowercased())
            }
        }
    }

    fileprivate func appendCommon(to json: inout JSONCursor) {
        json.verbatim(#""bytes":"#)
        json.number(bytes)
        json.verbatim(#""body":{"bytes":"#)
        json.number(bodyBytes)
        if let captured = body {
            json.key("content")
            captured.withUnsafeBytes { json.string(utf8: $0) }
        }
        json.endObject()
        if let contentType {
            if !HTTPJSONText.withBytes(contentType, { Self.appendMimeTypeFast($0, to: &json) }) {
                Self.appendMimeType(contentType, to: &json)
            }
        }
        guard !headers.isEmpty else { return }
        // Packetbeat's shape: lowercase names, repeated headers joined.
        var merged: [(String, String)] = []
        for (name, value) in headers {
            let key = name.lowercased()
            if let index = merged.firstIndex(where: { $0.0 == key }) {
                merged[index].1 += ", " + value
            } else {
                merged.append((key, value))
            }
        }
        json.beginObject("headers")
        for (name, value) in merged {
            json.key(escaping: name)
            json.string(value)
        }
        json.endObject()
    }
}

extension HTTPTransaction {
    public var methodName: String { request?.method ?? "?" }

    public func resourceName(endpoints: TransactionEndpoints) -> String {
        request.map { HTTPURL(request: $0, endpoints: endpoints).pathText } ?? "?"
    }

    /// The status class ("2xx"), "other" outside 100-599.
    public func outcomeName(status: TransactionStatus) -> String {
        response.map { $0.statusCode >= 100 && $0.statusCode < 600 ? "\($0.statusCode / 100)xx" : "other" }
            ?? "unanswered"
    }
}
