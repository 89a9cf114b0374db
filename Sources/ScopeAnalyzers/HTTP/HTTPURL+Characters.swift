extension HTTPURL {
    /// Text with non-ASCII characters is cut character by character (a
    /// combining mark after a delimiter belongs to it), as Substrings, then
    /// turned into parts.
    mutating func splitCharacters() {
        var rest = Substring(target)
        var authority: Substring? = host.map { Substring($0) }
        var authorityInTarget = false
        // Absolute form (proxies): "http://host:port/path?query".
        if let colon = rest.utf8.firstIndex(of: UInt8(ascii: ":")), rest[colon...].hasPrefix("://"),
           rest[..<colon].allSatisfy(\.isLetter) {
            let name = rest[..<colon]
            scheme = name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? name.lowercased() : String(name)
            let afterScheme = rest[rest.index(colon, offsetBy: 3)...]
            let slash = afterScheme.utf8.firstIndex(of: UInt8(ascii: "/")) ?? afterScheme.endIndex
            authority = afterScheme[..<slash]
            authorityInTarget = true
            rest = afterScheme[slash...]
        }
        if let authority, !authority.isEmpty {
            var hostPart = authority
            var name = authority
            if hostPart.hasPrefix("["), let close = hostPart.utf8.firstIndex(of: UInt8(ascii: "]")) {
                name = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
                hostPart = hostPart[hostPart.index(after: close)...]
                if hostPart.hasPrefix(":"), let value = UInt16(hostPart.dropFirst()) { port = value }
            } else if let colon = hostPart.utf8.lastIndex(of: UInt8(ascii: ":")) {
                name = hostPart[..<colon]
                if let value = UInt16(hostPart[hostPart.index(after: colon)...]) { port = value }
            }
            domain = part(name, inTarget: authorityInTarget)
            bracketed = name.utf8.contains(UInt8(ascii: ":"))
        }
        if let mark = rest.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = part(rest[..<mark], inTarget: true)
            query = part(rest[rest.index(after: mark)...], inTarget: true)
        } else {
            path = part(rest, inTarget: true)
        }
    }

    private func part(_ slice: Substring, inTarget: Bool) -> Part {
        let utf8 = (inTarget ? target : host ?? "").utf8
        let start = utf8.distance(from: utf8.startIndex, to: slice.startIndex)
        return Part(inTarget: inTarget, range: start..<(start &+ slice.utf8.count))
    }
}
