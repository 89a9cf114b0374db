import ScopeDecode

/// The `url.*` view of a request (ECS): domain and port from the Host
/// header when present, else the server's address and port.
struct HTTPURL: Equatable {
    var scheme = "http"
    var domain: String
    var port: UInt16
    var path: String
    var query: String?

    init(request: HTTPMessage, endpoints: TransactionEndpoints) {
        var target = Substring(request.target)
        var authority: Substring? = request.host.map { Substring($0) }
        // Absolute form (proxies): "http://host:port/path?query".
        if let colon = target.firstIndex(of: ":"), target[colon...].hasPrefix("://"),
           target[..<colon].allSatisfy(\.isLetter) {
            scheme = target[..<colon].lowercased()
            let rest = target[target.index(colon, offsetBy: 3)...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = rest[..<slash]
            target = rest[slash...]
        }
        domain = endpoints.server.description
        port = endpoints.serverPort
        if let authority, !authority.isEmpty {
            var host = authority
            if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
                domain = String(host[host.index(after: host.startIndex)..<close])
                host = host[host.index(after: close)...]
                if host.hasPrefix(":"), let value = UInt16(host.dropFirst()) { port = value }
            } else if let colon = host.lastIndex(of: ":") {
                domain = String(host[..<colon])
                if let value = UInt16(host[host.index(after: colon)...]) { port = value }
            } else {
                domain = String(host)
            }
        }
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            query = String(target[target.index(after: mark)...])
        } else {
            path = String(target)
        }
        if path.isEmpty { path = "/" }
    }

    var full: String {
        let host = domain.contains(":") ? "[\(domain)]" : domain
        let defaultPort: UInt16 = scheme == "https" ? 443 : 80
        let portText = port == defaultPort ? "" : ":\(port)"
        return "\(scheme)://\(host)\(portText)\(path)" + (query.map { "?" + $0 } ?? "")
    }
}

extension HTTPTransaction {
    func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        if let request {
            let url = HTTPURL(request: request, endpoints: endpoints)
            json.field("method", request.method)
            json.field("query", "\(request.method) \(url.path)")
            json.object("url") { object in
                object.field("scheme", url.scheme)
                object.field("domain", url.domain)
                object.field("port", UInt64(url.port))
                object.field("path", url.path)
                object.optional("query", url.query)
                object.field("full", url.full)
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
                    object.field("status_phrase", response.statusPhrase.lowercased())
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
        object.optional("mime_type", mimeType)
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
