/// Header lines: the few values events need, framing, and (when asked) the
/// full list with credentials redacted.
extension HTTPMessageParser {
    mutating func header(_ line: UnsafeRawBufferPointer, trailer: Bool) {
        guard line[0] != 0x20 && line[0] != 0x09 else { return }  // obsolete line folding: ignored
        // Eight bytes at a time: the generic firstIndex(of:) walked the name
        // byte by byte (callgrind: 75 instructions a header line, 2 % of a
        // keep-alive transaction).
        let colon = StreamBuffer.firstIndex(of: UInt8(ascii: ":"), in: line, from: 0)
        guard colon < line.count, colon > 0 else { return }
        let name = 0..<colon
        var valueStart = colon &+ 1
        var valueEnd = line.count
        while valueStart < valueEnd && (line[valueStart] == 0x20 || line[valueStart] == 0x09) { valueStart &+= 1 }
        while valueEnd > valueStart && (line[valueEnd &- 1] == 0x20 || line[valueEnd &- 1] == 0x09) { valueEnd &-= 1 }
        let value = valueStart..<valueEnd
        if configuration.includeHTTPHeaders {
            let headerName = HTTPSyntax.text(line, name)
            let text = HTTPSyntax.text(line, value)
            message.headers.append((headerName, configuration.redactSecrets ? Self.redacted(headerName, text) : text))
        }
        guard !trailer else { return }  // trailers never change framing
        // The few names that matter, told apart by length first.
        switch name.count {
        case 14 where HTTPSyntax.nameEquals(line, name, "content-length"):
            // Repeated identical values are tolerated; conflicting ones are not.
            guard let length = HTTPSyntax.parseDecimal(UnsafeRawBufferPointer(rebasing: line[value])),
                  contentLength == nil || contentLength == length else {
                otherTransferCoding = true
                return
            }
            contentLength = length
        case 17 where HTTPSyntax.nameEquals(line, name, "transfer-encoding"):
            let codings = HTTPSyntax.text(line, value).lowercased().split(separator: ",").map { $0.trimmingSpaces }
            chunked = codings.last == "chunked"
            otherTransferCoding = otherTransferCoding || codings.contains { $0 != "chunked" && $0 != "identity" }
        case 4 where HTTPSyntax.nameEquals(line, name, "host"):
            message.host = HTTPSyntax.text(line, value)
        case 10 where HTTPSyntax.nameEquals(line, name, "user-agent"):
            message.userAgent = HTTPSyntax.text(line, value)
        case 12 where HTTPSyntax.nameEquals(line, name, "content-type"):
            message.contentType = HTTPSyntax.text(line, value)
        case 7 where HTTPSyntax.nameEquals(line, name, "referer"):
            message.referrer = HTTPSyntax.text(line, value)
        case 7 where HTTPSyntax.nameEquals(line, name, "upgrade"):
            message.upgrade = HTTPSyntax.text(line, value)
        case 11 where message.isRequest && HTTPSyntax.nameEquals(line, name, "traceparent"):
            if let context = TraceParent(UnsafeRawBufferPointer(rebasing: line[value])) {
                message.traceID = context.traceID
                message.parentSpanID = context.parentID
            }
        default:
            break
        }
    }

    /// Authorization and Proxy-Authorization keep only their scheme; cookie
    /// names stay, their values become "*".
    static func redacted(_ name: String, _ value: String) -> String {
        switch name.lowercased() {
        case "authorization", "proxy-authorization":
            let scheme = value.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            return scheme.isEmpty ? "*" : scheme + " *"
        case "cookie":
            return value.split(separator: ";").map { pair in
                let cookie = pair.trimmingSpaces
                guard let equals = cookie.firstIndex(of: "=") else { return cookie }
                return cookie[..<equals] + "=*"
            }.joined(separator: "; ")
        case "set-cookie":
            var parts = value.split(separator: ";", omittingEmptySubsequences: false).map { String($0) }
            if let equals = parts[0].firstIndex(of: "=") { parts[0] = parts[0][..<equals] + "=*" }
            return parts.joined(separator: ";")
        default:
            return value
        }
    }
}
