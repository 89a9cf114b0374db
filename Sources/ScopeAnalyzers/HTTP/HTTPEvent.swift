import ScopeDecode

extension HTTPTransaction: TransactionDetail {
    public var isMatched: Bool { request != nil && response != nil }

    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        // The fixed part is under 1 KiB; the target is written three times.
        let room = 1024 &+ (request?.textBytes ?? 0) &* 2 &+ (response?.textBytes ?? 0) &* 2
        json.write(reserving: room) { appendFields(to: &$0, endpoints: endpoints) }
    }

    private func appendFields(to json: inout JSONCursor, endpoints: TransactionEndpoints) {
        if let request {
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
            if let agent = request.userAgent {
                json.beginObject("user_agent")
                json.field("original", agent)
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
        json.beginObject("http")
        json.field("version", request?.version ?? response?.version ?? "")
        if let request {
            json.beginObject("request")
            json.field("method", request.method)
            request.appendCommon(to: &json)
            json.optional("referrer", request.referrer)
            json.endObject()
        }
        if let response {
            json.beginObject("response")
            json.field("status_code", UInt64(response.statusCode))
            json.key("status_phrase")
            json.lowercased(response.statusPhrase)
            response.appendCommon(to: &json)
            json.endObject()
        }
        json.endObject()
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
        json.field("bytes", bytes)
        json.beginObject("body")
        json.field("bytes", bodyBytes)
        if let captured = body {
            json.key("content")
            captured.withUnsafeBytes { json.string(utf8: $0) }
        }
        json.endObject()
        if let contentType { Self.appendMimeType(contentType, to: &json) }
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
