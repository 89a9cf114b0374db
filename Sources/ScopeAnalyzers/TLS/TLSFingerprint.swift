import Crypto
import ScopeDecode

/// JA3 / JA3S (as Wireshark's `tls.handshake.ja3*` fields compute them)
/// and JA4 / JA4S (FoxIO's specification, technical_details/JA4.md and
/// JA4S.md). Computed once per handshake, when the event is written.
enum TLSFingerprint {
    /// "version,ciphers,extensions,groups,point formats", decimal values
    /// joined by "-", GREASE left out; the legacy version, as Wireshark.
    static func ja3String(_ hello: TLSClientHello) -> String { String(decoding: ja3Bytes(hello), as: UTF8.self) }

    /// "version,cipher,extensions" of the ServerHello (legacy version).
    static func ja3sString(_ hello: TLSServerHello) -> String { String(decoding: ja3sBytes(hello), as: UTF8.self) }

    static func ja3(_ hello: TLSClientHello, digests: TLSDigestCache? = nil) -> String {
        md5(ja3Bytes(hello), digests)
    }

    static func ja3s(_ hello: TLSServerHello, digests: TLSDigestCache? = nil) -> String {
        md5(ja3sBytes(hello), digests)
    }

    // The fingerprints' texts are built as bytes, digit by digit: they are
    // hashed, and a String per value joined with separators cost a third
    // of a TLS 1.3 handshake's analysis (BENCHMARKS.md, issue 16).
    private static func ja3Bytes(_ hello: TLSClientHello) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(256)
        appendDecimal(hello.legacyVersion, to: &text)
        for list in [hello.cipherSuites, hello.extensions, hello.supportedGroups] {
            text.append(UInt8(ascii: ","))
            appendDecimals(list, to: &text)
        }
        text.append(UInt8(ascii: ","))
        for (index, format) in hello.pointFormats.enumerated() {
            appendDecimal(UInt16(format), to: &text, after: index > 0 ? UInt8(ascii: "-") : nil)
        }
        return text
    }

    private static func ja3sBytes(_ hello: TLSServerHello) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        appendDecimal(hello.legacyVersion, to: &text)
        text.append(UInt8(ascii: ","))
        appendDecimal(hello.cipherSuite, to: &text)
        text.append(UInt8(ascii: ","))
        appendDecimals(hello.extensions, to: &text)
        return text
    }

    /// JA4 over TCP: `t` + version + `d`/`i` (SNI or not) + cipher and
    /// extension counts + ALPN, then the truncated SHA-256 of the sorted
    /// ciphers and of the sorted extensions (without SNI and ALPN) followed
    /// by the signature algorithms in order.
    static func ja4(_ hello: TLSClientHello) -> String { ja4(hello, digests: nil) }

    // Written as bytes from lists sorted in scratch memory: the filtered and
    // sorted copies and the Strings joined with "+" were half of JA4's cost
    // (BENCHMARKS.md, issue 16).
    static func ja4(_ hello: TLSClientHello, digests: TLSDigestCache?) -> String {
        var version = hello.legacyVersion
        if hello.extensions.contains(43) {
            version = 0
            for value in hello.supportedVersions where !TLSNames.isGrease(value) { version = max(version, value) }
        }
        var text: [UInt8] = []
        text.reserveCapacity(5 &* (hello.cipherSuites.count &+ hello.extensions.count &+ hello.signatureAlgorithms.count) &+ 8)
        let ciphers = appendSortedHexList(hello.cipherSuites, to: &text) { !TLSNames.isGrease($0) }
        let cipherHash = ciphers == 0 ? zeroHash : truncatedSHA256(text, digests)
        text.removeAll(keepingCapacity: true)
        let hashed = appendSortedHexList(hello.extensions, to: &text) { !TLSNames.isGrease($0) && $0 != 0 && $0 != 16 }
        var extensionCount = 0
        for value in hello.extensions where !TLSNames.isGrease(value) { extensionCount &+= 1 }
        var algorithms = false
        for value in hello.signatureAlgorithms where !TLSNames.isGrease(value) {
            appendHex4(value, to: &text, after: UInt8(ascii: algorithms ? "," : "_"))
            algorithms = true
        }
        let extensionHash = hashed == 0 ? zeroHash : truncatedSHA256(text, digests)
        var result: [UInt8] = [UInt8(ascii: "t")]
        result.reserveCapacity(40)
        result.append(contentsOf: versionCode(version).utf8)
        result.append(UInt8(ascii: hello.extensions.contains(0) ? "d" : "i"))
        appendCount(ciphers, to: &result)
        appendCount(extensionCount, to: &result)
        result.append(contentsOf: alpnCode(hello.firstProtocol).utf8)
        result.append(UInt8(ascii: "_"))
        result.append(contentsOf: cipherHash.utf8)
        result.append(UInt8(ascii: "_"))
        result.append(contentsOf: extensionHash.utf8)
        return String(decoding: result, as: UTF8.self)
    }

    /// JA4S: `t` + chosen version + extension count + chosen ALPN, the
    /// cipher in hex, and the truncated SHA-256 of the extensions in order.
    static func ja4s(_ hello: TLSServerHello) -> String { ja4s(hello, digests: nil) }

    static func ja4s(_ hello: TLSServerHello, digests: TLSDigestCache?) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(hello.extensions.count &* 5)
        var extensions = 0
        for value in hello.extensions where !TLSNames.isGrease(value) {
            appendHex4(value, to: &text, after: extensions > 0 ? UInt8(ascii: ",") : nil)
            extensions &+= 1
        }
        return "t" + versionCode(hello.version) + count(extensions) + alpnCode(hello.protocolBytes)
            + "_" + hex4(hello.cipherSuite) + "_" + (extensions == 0 ? zeroHash : truncatedSHA256(text, digests))
    }

    private static let zeroHash = "000000000000"

    /// JA4's two-character version ("00" for values it does not name).
    static func versionCode(_ version: UInt16) -> String {
        switch version {
        case 0x0304: "13"
        case 0x0303: "12"
        case 0x0302: "11"
        case 0x0301: "10"
        case 0x0300: "s3"
        case 0x0002: "s2"
        case 0xFEFF: "d1"
        case 0xFEFD: "d2"
        case 0xFEFC: "d3"
        default: "00"
        }
    }

    /// First and last character of the first ALPN value; "00" without one.
    /// When either end is no ASCII letter or digit, the first and last
    /// characters of the value's hex form instead (the specification's rule
    /// since January 2026; FoxIO's own tools still print "99" there).
    static func alpnCode(_ value: [UInt8]?) -> String {
        guard let value, let first = value.first, let last = value.last else { return "00" }
        if isAlphanumeric(first) && isAlphanumeric(last) {
            return String(decoding: [first, last], as: UTF8.self)
        }
        return String(decoding: [Hex.digit(first >> 4), Hex.digit(last & 0x0F)], as: UTF8.self)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static func count(_ value: Int) -> String {
        var text: [UInt8] = []
        appendCount(value, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Two decimal digits, 99 at most.
    private static func appendCount(_ value: Int, to text: inout [UInt8]) {
        let value = min(max(value, 0), 99)
        text.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 10))
        text.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10))
    }

    /// The values but GREASE, in decimal, joined by "-".
    private static func appendDecimals(_ values: [UInt16], to text: inout [UInt8]) {
        var first = true
        for value in values where !TLSNames.isGrease(value) {
            appendDecimal(value, to: &text, after: first ? nil : UInt8(ascii: "-"))
            first = false
        }
    }

    // The digits (and a separator) go into a stack tuple and are appended
    // at once: an append per byte cost a uniqueness and capacity check each.
    private static func appendDecimal(_ value: UInt16, to text: inout [UInt8], after separator: UInt8? = nil) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { bytes in
            var (rest, start) = (value, 6)
            repeat {
                start &-= 1
                bytes[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            if let separator {
                start &-= 1
                bytes[start] = separator
            }
            text.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]).bindMemory(to: UInt8.self))
        }
    }

    static func hex4(_ value: UInt16) -> String { String(value, radix: 16).leftPadded(to: 4) }

    /// The values `included` keeps, sorted, as four lowercase hex digits
    /// each joined by ","; returns how many. Sorted in scratch memory (no
    /// filtered or sorted array).
    private static func appendSortedHexList(
        _ values: [UInt16], to text: inout [UInt8], including included: (UInt16) -> Bool
    ) -> Int {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: values.count) { scratch in
            var kept = 0
            for value in values where included(value) {
                scratch[kept] = value
                kept &+= 1
            }
            var list = UnsafeMutableBufferPointer(rebasing: scratch[0..<kept])
            if kept <= 32 {
                // Insertion sort: no allocation, and fastest on lists this short.
                for index in list.indices.dropFirst() {
                    let value = list[index]
                    var position = index
                    while position > 0 && list[position &- 1] > value {
                        list[position] = list[position &- 1]
                        position &-= 1
                    }
                    list[position] = value
                }
            } else {
                list.sort()
            }
            for (index, value) in list.enumerated() { appendHex4(value, to: &text, after: index > 0 ? UInt8(ascii: ",") : nil) }
            return kept
        }
    }

    private static func appendHex4(_ value: UInt16, to text: inout [UInt8], after separator: UInt8? = nil) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8) = (
            separator ?? 0,
            Hex.digit(UInt8(truncatingIfNeeded: value >> 12) & 0x0F), Hex.digit(UInt8(truncatingIfNeeded: value >> 8) & 0x0F),
            Hex.digit(UInt8(truncatingIfNeeded: value >> 4) & 0x0F), Hex.digit(UInt8(truncatingIfNeeded: value) & 0x0F))
        withUnsafeBytes(of: &digits) { bytes in
            text.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(separator == nil ? 1 : 0)...]).bindMemory(to: UInt8.self))
        }
    }

    /// The first 12 hex digits of SHA-256; twelve zeros for an empty list.
    static func truncatedSHA256(_ text: String?) -> String { truncatedSHA256(text.map { Array($0.utf8) }) }

    static func truncatedSHA256(_ text: [UInt8]?) -> String {
        guard let text else { return zeroHash }
        return truncatedSHA256(text, nil)
    }

    /// Through the engine's memo of digests when there is one: clients send
    /// the same lists on every connection.
    private static func truncatedSHA256(_ text: [UInt8], _ digests: TLSDigestCache?) -> String {
        guard let digests else { return hex(SHA256.hash(data: text), digits: 12) }
        return digests.digest(of: text, kind: .truncatedSHA256) { hex(SHA256.hash(data: $0), digits: 12) }
    }

    static func md5(_ text: String) -> String { md5(Array(text.utf8), nil) }

    private static func md5(_ text: [UInt8], _ digests: TLSDigestCache?) -> String {
        guard let digests else { return hex(Insecure.MD5.hash(data: text)) }
        return digests.digest(of: text, kind: .md5) { hex(Insecure.MD5.hash(data: $0)) }
    }

    /// Lowercase hex of a digest, at most `digits` characters, read through
    /// its bytes: `Hex.string` walks a digest with an unspecialised iterator,
    /// which cost more than the hashing (BENCHMARKS.md, issue 16).
    static func hex<D: Digest>(_ digest: D, digits: Int = .max) -> String {
        digest.withUnsafeBytes { bytes in
            let length = min(bytes.count &* 2, digits)
            return String(unsafeUninitializedCapacity: length) { text in
                for index in 0..<length {
                    let byte = bytes[index >> 1]
                    text[index] = Hex.digit(index & 1 == 0 ? byte >> 4 : byte & 0x0F)
                }
                return length
            }
        }
    }
}
