import ScopeDecode

/// The `url.*` view of a request (ECS): domain and port from the Host
/// header when present, else the server's address and port. Parts are
/// slices of the request's own strings: nothing is built until a field
/// is written.
struct HTTPURL {
    var scheme: Substring = "http"
    /// nil: the server's address is the domain.
    var domain: Substring?
    var server: IPAddress
    var port: UInt16
    /// Empty means "/".
    var pathPart: Substring
    var query: Substring?

    init(request: HTTPMessage, endpoints: TransactionEndpoints) {
        var target = Substring(request.target)
        var authority: Substring? = request.host.map { Substring($0) }
        // Absolute form (proxies): "http://host:port/path?query".
        if let colon = target.utf8.firstIndex(of: UInt8(ascii: ":")), target[colon...].hasPrefix("://"),
           target[..<colon].allSatisfy(\.isLetter) {
            let name = target[..<colon]
            scheme = name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? Substring(name.lowercased()) : name
            let rest = target[target.index(colon, offsetBy: 3)...]
            let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            authority = rest[..<slash]
            target = rest[slash...]
        }
        server = endpoints.server
        port = endpoints.serverPort
        if let authority, !authority.isEmpty {
            var host = authority
            if host.hasPrefix("["), let close = host.utf8.firstIndex(of: UInt8(ascii: "]")) {
                domain = host[host.index(after: host.startIndex)..<close]
                host = host[host.index(after: close)...]
                if host.hasPrefix(":"), let value = UInt16(host.dropFirst()) { port = value }
            } else if let colon = host.utf8.lastIndex(of: UInt8(ascii: ":")) {
                domain = host[..<colon]
                if let value = UInt16(host[host.index(after: colon)...]) { port = value }
            } else {
                domain = host
            }
        }
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            pathPart = target[..<mark]
            query = target[target.index(after: mark)...]
        } else {
            pathPart = target
        }
    }

    var path: String { pathPart.isEmpty ? "/" : String(pathPart) }

    /// IPv6 literals go in brackets.
    private var bracketed: Bool { domain.map { $0.utf8.contains(UInt8(ascii: ":")) } ?? (server.family == .ipv6) }

    private var showsPort: Bool { port != (scheme == "https" ? 443 : 80) }

    func appendDomain(to json: inout JSONCursor) {
        if let domain { json.string(domain) } else { json.address(server) }
    }

    /// The `url.full` text, as pieces of the string value being written.
    func appendFull(to json: inout JSONCursor) {
        json.piece(scheme)
        json.piece("://")
        if bracketed { json.piece("[") }
        if let domain { json.piece(domain) } else { json.piece(server) }
        if bracketed { json.piece("]") }
        if showsPort {
            json.piece(":")
            json.piece(UInt64(port))
        }
        json.piece(pathPart.isEmpty ? "/" : pathPart)
        if let query {
            json.piece("?")
            json.piece(query)
        }
    }

    var full: String {
        var json = JSONWriter(reservingCapacity: 64)
        json.write(reserving: 64) { cursor in
            cursor.beginString()
            appendFull(to: &cursor)
            cursor.endString()
        }
        return String(decoding: json.output.dropFirst().dropLast(), as: UTF8.self)
    }
}

extension HTTPTransaction {
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
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
            json.piece(url.pathPart.isEmpty ? "/" : url.pathPart)
            json.endString()
            json.beginObject("url")
            json.field("scheme", url.scheme)
            json.key("domain")
            url.appendDomain(to: &json)
            json.field("port", UInt64(url.port))
            json.field("path", url.pathPart.isEmpty ? "/" : url.pathPart)
            json.optional("query", url.query)
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
    var summary: String {
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
        for (name, value) in headers { total &+= name.utf8.count &+ value.utf8.count &+ 8 }
        return total &+ (body?.count ?? 0)
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
        if let type = mimeTypeText {
            json.key("mime_type")
            if HTTPMessage.hasUppercaseASCII(type) { json.lowercased(type) } else { json.string(type) }
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
