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
        server = endpoints.server
        port = endpoints.serverPort
        pathPart = ""
        // Targets and hosts are ASCII nearly always: then bytes are
        // characters, and the parts are found by byte.
        if request.target.utf8.allSatisfy({ $0 < 0x80 }) && request.host?.utf8.allSatisfy({ $0 < 0x80 }) != false {
            splitASCII(target: Substring(request.target).utf8, host: request.host.map { Substring($0).utf8 })
        } else {
            split(request)
        }
    }

    private mutating func splitASCII(target: Substring.UTF8View, host: Substring.UTF8View?) {
        var target = target
        var authority = host
        // Absolute form (proxies): "http://host:port/path?query".
        if let colon = target.firstIndex(of: UInt8(ascii: ":")), target[colon...].starts(with: "://".utf8),
           target[..<colon].allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }) {
            let name = Substring(target[..<colon])
            scheme = name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? Substring(name.lowercased()) : name
            let rest = target[target.index(colon, offsetBy: 3)...]
            let slash = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            authority = rest[..<slash]
            target = rest[slash...]
        }
        if let authority, !authority.isEmpty {
            var host = authority
            if host.first == UInt8(ascii: "["), let close = host.firstIndex(of: UInt8(ascii: "]")) {
                domain = Substring(host[host.index(after: host.startIndex)..<close])
                host = host[host.index(after: close)...]
                if host.first == UInt8(ascii: ":"), let value = UInt16(Substring(host.dropFirst())) { port = value }
            } else if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
                domain = Substring(host[..<colon])
                if let value = UInt16(Substring(host[host.index(after: colon)...])) { port = value }
            } else {
                domain = Substring(host)
            }
        }
        if let mark = target.firstIndex(of: UInt8(ascii: "?")) {
            pathPart = Substring(target[..<mark])
            query = Substring(target[target.index(after: mark)...])
        } else {
            pathPart = Substring(target)
        }
    }

    /// The same for text with non-ASCII characters, character by character.
    private mutating func split(_ request: HTTPMessage) {
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
