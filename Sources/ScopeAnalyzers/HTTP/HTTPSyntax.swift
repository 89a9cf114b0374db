/// Byte-level HTTP/1.x syntax: start lines, header names, detection. Works
/// on raw buffers so nothing is allocated for lines that are not kept.
enum HTTPSyntax {
    static let knownMethods: [[UInt8]] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE",
                                          "CONNECT", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
                                          "UNLOCK", "SEARCH", "REPORT", "PURGE"].map { Array($0.utf8) }
    static let versionPrefix = Array("HTTP/".utf8)

    /// RFC 9110 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func hasPrefix(_ line: UnsafeRawBufferPointer, _ prefix: [UInt8], at offset: Int = 0) -> Bool {
        guard line.count >= offset &+ prefix.count else { return false }
        for index in 0..<prefix.count where line[offset &+ index] != prefix[index] { return false }
        return true
    }

    /// "HTTP/d.d" at `offset`; returns "d.d".
    static func version(_ line: UnsafeRawBufferPointer, at offset: Int) -> String? {
        guard hasPrefix(line, versionPrefix, at: offset), line.count >= offset &+ 8 else { return nil }
        let major = line[offset &+ 5], dot = line[offset &+ 6], minor = line[offset &+ 7]
        guard (0x30...0x39).contains(major), dot == UInt8(ascii: "."), (0x30...0x39).contains(minor) else { return nil }
        if major == UInt8(ascii: "1") { return minor == UInt8(ascii: "1") ? "1.1" : minor == UInt8(ascii: "0") ? "1.0" : "1.\(minor &- 0x30)" }
        return "\(major &- 0x30).\(minor &- 0x30)"
    }

    /// `method SP request-target SP HTTP-version`, read as nginx and Apache
    /// read it (RFC 9112 §3 lets a recipient be this lenient): runs of
    /// spaces or tabs between the parts and after the version set
    /// `oddSpacing`; a GET without a version is HTTP/0.9 (version "0.9").
    static func parseRequestLine(_ line: UnsafeRawBufferPointer)
        -> (method: String, target: String, version: String, oddSpacing: Bool)? {
        var methodEnd = 0
        while methodEnd < line.count && isTokenByte(line[methodEnd]) { methodEnd &+= 1 }
        guard methodEnd > 0, methodEnd < line.count, line[methodEnd] == 0x20 else { return nil }
        let targetStart = skipBlanks(line, from: methodEnd &+ 1)
        var targetEnd = targetStart
        while targetEnd < line.count && line[targetEnd] > 0x20 && line[targetEnd] != 0x7F { targetEnd &+= 1 }
        guard targetEnd > targetStart else { return nil }
        let versionStart = skipBlanks(line, from: targetEnd)
        var oddSpacing = targetStart > methodEnd &+ 1 || versionStart > targetEnd &+ 1
        let version: String
        if versionStart == line.count {
            guard methodEnd == 3, hasPrefix(line, Array("GET".utf8)) else { return nil }  // 0.9 knew only GET
            version = "0.9"
            oddSpacing = oddSpacing || versionStart > targetEnd
        } else {
            guard versionStart > targetEnd, let parsed = Self.version(line, at: versionStart),
                  skipBlanks(line, from: versionStart &+ 8) == line.count else { return nil }
            version = parsed
            oddSpacing = oddSpacing || line.count > versionStart &+ 8
        }
        return (method(line, 0..<methodEnd), text(line, targetStart..<targetEnd), version, oddSpacing)
    }

    private static func skipBlanks(_ line: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < line.count && (line[index] == 0x20 || line[index] == 0x09) { index &+= 1 }
        return index
    }

    /// The usual methods as literals (no String is built); others as text.
    static func method(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: line[range])
        func equals(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == bytes.count
                && UnsafeRawBufferPointer(start: literal.utf8Start, count: bytes.count).elementsEqual(bytes)
        }
        if equals("GET") { return "GET" }
        if equals("POST") { return "POST" }
        if equals("HEAD") { return "HEAD" }
        if equals("PUT") { return "PUT" }
        return text(line, range)
    }

    /// `HTTP-version SP 3DIGIT [SP reason-phrase]`.
    static func parseStatusLine(_ line: UnsafeRawBufferPointer) -> (version: String, code: Int, phrase: String)? {
        guard let version = version(line, at: 0), line.count >= 12, line[8] == 0x20 else { return nil }
        var code = 0
        for index in 9..<12 {
            guard (0x30...0x39).contains(line[index]) else { return nil }
            code = code &* 10 &+ Int(line[index] &- 0x30)
        }
        guard code >= 100, line.count == 12 || line[12] == 0x20 else { return nil }
        let phrase = line.count == 15 && line[13] == UInt8(ascii: "O") && line[14] == UInt8(ascii: "K") ? "OK"
            : line.count > 13 ? text(line, 13..<line.count) : ""
        return (version, code, phrase)
    }

    /// Case-insensitive comparison of a header name with a lowercase literal.
    static func nameEquals(_ line: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<range.count {
            var byte = line[range.lowerBound &+ index]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            if byte != expected[index] { return false }
        }
        return true
    }

    static func text(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
    }

    /// Chunk size line: hex digits, then optional `;extensions` and spaces.
    static func parseChunkSize(_ line: UnsafeRawBufferPointer) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for byte in line {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- 0x30
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- 0x57
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- 0x37
            case UInt8(ascii: ";"), 0x20, 0x09: return digits > 0 ? value : nil
            default: return nil
            }
            guard digits < 15 else { return nil }  // beyond 2^60 is no real chunk
            value = value << 4 | UInt64(digit)
            digits &+= 1
        }
        return digits > 0 ? value : nil
    }

    /// 1 to 18 ASCII digits, nothing else.
    static func parseDecimal(_ digits: UnsafeRawBufferPointer) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
        }
        return value
    }
}

/// Content detection for HTTP/1.x: a request starts with a method token and
/// a space; a response with "HTTP/1.".
enum HTTPDetection {
    static let responsePrefix = Array("HTTP/1.".utf8)

    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard !bytes.isEmpty else { return .needMore }
        if bytes.count >= responsePrefix.count {
            if HTTPSyntax.hasPrefix(bytes, responsePrefix) { return .fromServer }
        } else if zip(bytes, responsePrefix).allSatisfy({ $0 == $1 }) {
            return .needMore
        }
        var partial = false
        for method in HTTPSyntax.knownMethods {
            if bytes.count > method.count {
                if HTTPSyntax.hasPrefix(bytes, method) && bytes[method.count] == 0x20 { return .fromClient }
            } else if zip(bytes, method).allSatisfy({ $0 == $1 }) {
                partial = true
            }
        }
        return partial ? .needMore : .no
    }
}
