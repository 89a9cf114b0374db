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

    func appendDomain(to json: inout JSONWriter) {
        if let domain { json.string(domain) } else { json.address(server) }
    }

    func appendFull(to text: inout JSONStringPieces) {
        text.append(scheme)
        text.append("://")
        if bracketed { text.append("[") }
        if let domain { text.append(domain) } else { text.append(server) }
        if bracketed { text.append("]") }
        if showsPort {
            text.append(":")
            text.append(UInt64(port))
        }
        text.append(pathPart.isEmpty ? "/" : pathPart)
        if let query {
            text.append("?")
            text.append(query)
        }
    }

    var full: String {
        var json = JSONWriter(reservingCapacity: 64)
        json.string(composedOf: appendFull)
        return String(decoding: json.output.dropFirst().dropLast(), as: UTF8.self)
    }
}

extension HTTPTransaction {
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        if let request {
            let url = HTTPURL(request: request, endpoints: endpoints)
            json.field("method", request.method)
            json.key("query")
            json.string(composedOf: { query in
                query.append(request.method)
                query.append(" ")
                query.append(url.pathPart.isEmpty ? "/" : url.pathPart)
            })
            json.object("url") { object in
                object.key("scheme")
                object.string(url.scheme)
                object.key("domain")
                url.appendDomain(to: &object)
                object.field("port", UInt64(url.port))
                object.key("path")
                object.string(url.pathPart.isEmpty ? "/" : url.pathPart)
                if let query = url.query {
                    object.key("query")
                    object.string(query)
                }
                object.key("full")
                object.string(composedOf: url.appendFull)
            }
            if let agent = request.userAgent { json.object("user_agent") { $0.field("original", agent) } }
        }
        json.object("http") { http in
            http.field("version", request?.version ?? response?.version ?? "")
            if let request {
                http.object("request") { object in
                    object.field("method", request.method)
                    request.appendCommon(to: &object)
                    object.optional("referrer", request.referrer)
                }
            }
            if let response {
                http.object("response") { object in
                    object.field("status_code", UInt64(response.statusCode))
                    object.key("status_phrase")
                    object.lowercased(response.statusPhrase)
                    response.appendCommon(to: &object)
                }
            }
        }
    }

    /// "GET /a.txt -> 200 OK" (either side may be "?").
    var summary: String {
        let asked = request.map { "\($0.method) \($0.target)" } ?? "?"
        let answered = response.map { "\($0.statusCode) \($0.statusPhrase)" } ?? "?"
        return "\(asked) -> \(answered)"
    }
}

extension HTTPMessage {
    fileprivate func appendCommon(to object: inout JSONWriter) {
        object.field("bytes", bytes)
        object.object("body") { body in
            body.field("bytes", bodyBytes)
            if let captured = self.body { body.field("content", String(decoding: captured, as: UTF8.self)) }
        }
        if let type = mimeTypeText {
            object.key("mime_type")
            if HTTPMessage.hasUppercaseASCII(type) { object.lowercased(type) } else { object.string(type) }
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
        object.object("headers") { list in
            for (name, value) in merged { list.field(name, value) }
        }
    }
}
