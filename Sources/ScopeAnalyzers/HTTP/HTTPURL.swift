import ScopeDecode

/// The `url.*` view of a request (ECS): domain and port from the Host
/// header when present, else the server's address and port. The parts are
/// byte ranges of the request's own target and Host strings: nothing is
/// built until a field is written, and then the bytes are copied straight
/// into the JSON.
struct HTTPURL {
    /// A run of UTF-8 bytes of the target or of the Host header; always
    /// whole characters (the cuts are at ASCII delimiters).
    struct Part {
        var inTarget: Bool
        var range: Range<Int>
    }

    let target: String
    let host: String?
    /// "http" unless the target is in absolute form (then lowercased).
    var scheme = "http"
    /// nil: the server's address is the domain.
    var domain: Part?
    let server: IPAddress
    var port: UInt16
    /// Empty means "/".
    var path: Part
    var query: Part?
    /// IPv6 literals go in brackets.
    var bracketed: Bool

    init(request: HTTPMessage, endpoints: TransactionEndpoints) {
        target = request.target
        host = request.host
        server = endpoints.server
        port = endpoints.serverPort
        path = Part(inTarget: true, range: 0..<request.target.utf8.count)
        bracketed = server.family == .ipv6
        if Self.isASCII(target) && host.map(Self.isASCII) != false { splitBytes() } else { splitCharacters() }
    }

    /// ASCII (nearly always): bytes are characters, the parts are found by byte.
    private mutating func splitBytes() {
        var authority = host.map { Part(inTarget: false, range: 0..<$0.utf8.count) }
        Self.withBytes(of: target) { target in
            // Absolute form (proxies): "http://host:port/path?query".
            guard let colon = target.firstIndex(of: UInt8(ascii: ":")), target.count &- colon >= 3,
                  target[colon &+ 1] == UInt8(ascii: "/"), target[colon &+ 2] == UInt8(ascii: "/"),
                  Self.isScheme(target[..<colon]) else { return }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: target[..<colon]), as: UTF8.self)
            scheme = name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? name.lowercased() : name
            let slash = target[(colon &+ 3)...].firstIndex(of: UInt8(ascii: "/")) ?? target.count
            authority = Part(inTarget: true, range: (colon &+ 3)..<slash)
            path = Part(inTarget: true, range: slash..<target.count)
        }
        if let authority, !authority.range.isEmpty { split(authority) }
        Self.withBytes(of: target) { target in
            guard let mark = target[path.range].firstIndex(of: UInt8(ascii: "?")) else { return }
            query = Part(inTarget: true, range: (mark &+ 1)..<path.range.upperBound)
            path.range = path.range.lowerBound..<mark
        }
    }

    private static func isASCII(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            var index = 0
            if let base = bytes.baseAddress {
                while index &+ 8 <= bytes.count {
                    if UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                    index &+= 8
                }
            }
            return bytes[index...].allSatisfy { $0 < 0x80 }
        } ?? text.utf8.allSatisfy { $0 < 0x80 }
    }

    /// ASCII letters only (what `Character.isLetter` accepts of ASCII).
    private static func isScheme(_ bytes: UnsafeRawBufferPointer.SubSequence) -> Bool {
        bytes.allSatisfy { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") }
    }

    /// "host", "host:port", "[v6]" or "[v6]:port".
    private mutating func split(_ authority: Part) {
        Self.withBytes(of: authority.inTarget ? target : host ?? "") { all in
            let range = authority.range
            let bytes = all[range]
            var domainRange = range
            if bytes.first == UInt8(ascii: "["), let close = bytes.firstIndex(of: UInt8(ascii: "]")) {
                domainRange = (range.lowerBound &+ 1)..<close
                if close &+ 1 < range.upperBound, all[close &+ 1] == UInt8(ascii: ":"),
                   let value = Self.port(all[(close &+ 2)..<range.upperBound]) { port = value }
            } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
                domainRange = range.lowerBound..<colon
                if let value = Self.port(all[(colon &+ 1)..<range.upperBound]) { port = value }
            }
            domain = Part(inTarget: authority.inTarget, range: domainRange)
            bracketed = all[domainRange].contains(UInt8(ascii: ":"))
        }
    }

    /// As `UInt16(String)` parses it: an optional sign, then decimal digits.
    /// One to five plain digits (every real port) are read in place; anything
    /// else takes the String path, so the two cannot disagree.
    static func port(_ bytes: UnsafeRawBufferPointer.SubSequence) -> UInt16? {
        if !bytes.isEmpty && bytes.count <= 5 {
            var value = 0
            for byte in bytes {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return slowPort(bytes) }
                value = value &* 10 &+ Int(byte &- UInt8(ascii: "0"))
            }
            return value <= Int(UInt16.max) ? UInt16(value) : nil
        }
        return slowPort(bytes)
    }

    static func slowPort(_ bytes: UnsafeRawBufferPointer.SubSequence) -> UInt16? {
        UInt16(String(decoding: UnsafeRawBufferPointer(rebasing: bytes), as: UTF8.self))
    }

    private func withBytes(inTarget: Bool, _ body: (UnsafeRawBufferPointer) -> Void) {
        Self.withBytes(of: inTarget ? target : host ?? "", body)
    }

    private static func withBytes(of text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        if text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) == nil {
            Array(text.utf8).withUnsafeBytes(body)
        }
    }

    /// A part as a string value, or as a piece of one.
    func write(_ part: Part, to json: inout JSONCursor, asPiece: Bool = false) {
        withBytes(inTarget: part.inTarget) { all in
            let bytes = UnsafeRawBufferPointer(rebasing: all[part.range])
            if asPiece { json.piece(utf8: bytes) } else { json.string(utf8: bytes) }
        }
    }

    func text(_ part: Part) -> String {
        var text = ""
        withBytes(inTarget: part.inTarget) { text = String(decoding: UnsafeRawBufferPointer(rebasing: $0[part.range]), as: UTF8.self) }
        return text
    }

    var pathText: String { path.range.isEmpty ? "/" : text(path) }

    private var showsPort: Bool { port != (scheme == "https" ? 443 : 80) }

    func appendPath(to json: inout JSONCursor, asPiece: Bool = false) {
        if !path.range.isEmpty { return write(path, to: &json, asPiece: asPiece) }
        if asPiece { json.piece("/") } else { json.string("/") }
    }

    func appendDomain(to json: inout JSONCursor) {
        if let domain { write(domain, to: &json) } else { json.address(server) }
    }

    /// The `url.full` text, as pieces of the string value being written.
    func appendFull(to json: inout JSONCursor) {
        json.piece(scheme)
        json.piece("://")
        if bracketed { json.piece("[") }
        if let domain { write(domain, to: &json, asPiece: true) } else { json.piece(server) }
        if bracketed { json.piece("]") }
        if showsPort {
            json.piece(":")
            json.piece(UInt64(port))
        }
        appendPath(to: &json, asPiece: true)
        if let query {
            json.piece("?")
            write(query, to: &json, asPiece: true)
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
