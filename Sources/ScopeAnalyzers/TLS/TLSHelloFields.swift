import ScopeDecode

/// The event fields that depend only on a ClientHello's lists, as JSON
/// members rendered once per distinct hello (`TLSHelloCache`) and copied
/// into each event: the cipher suites by name, the fingerprints, the
/// versions and extensions. Rendering them per event was about half of a
/// TLS 1.3 handshake's JSON (BENCHMARKS.md, issue 16).
struct TLSClientFields: Sendable {
    /// `"supported_ciphers":[…],"ja3":…,"ja4":…` (`tls.client`, after `server_name`).
    var lists: [UInt8]
    /// `"version":…[,"supported_versions":[…]]` (`tls.detailed.client_hello`, before `alpn`).
    var helloHead: [UInt8]
    /// `"extensions":[…]` (after `alpn`).
    var helloExtensions: [UInt8]

    init(_ hello: TLSClientHello, digests: TLSDigestCache?) {
        var lists = JSONWriter(reservingCapacity: 64 &* hello.cipherSuites.count &+ 96)
        lists.key("supported_ciphers")
        lists.beginArray()
        for suite in hello.cipherSuites where !TLSNames.isGrease(suite) {
            if let rendered = TLSNames.renderedCiphers[suite] { lists.rendered(rendered) } else { lists.string(TLSNames.cipher(suite)) }
        }
        lists.endArray()
        lists.field("ja3", TLSFingerprint.ja3(hello, digests: digests))
        lists.field("ja4", TLSFingerprint.ja4(hello, digests: digests))
        self.lists = lists.output
        var head = JSONWriter(reservingCapacity: 64)
        head.field("version", TLSNames.version(hello.legacyVersion)?.number ?? "unknown")
        let versions = hello.supportedVersions.filter { !TLSNames.isGrease($0) }
        if !versions.isEmpty {
            head.strings("supported_versions", versions.map { TLSNames.version($0)?.number ?? "unknown" })
        }
        helloHead = head.output
        var extensions = JSONWriter(reservingCapacity: 8 &* hello.extensions.count &+ 16)
        TLSHelloFields.decimalStrings("extensions", hello.extensions, to: &extensions)
        helloExtensions = extensions.output
    }

    var byteCount: Int { lists.count &+ helloHead.count &+ helloExtensions.count }
}

/// The same for a ServerHello.
struct TLSServerFields: Sendable {
    /// `"ja3s":…,"ja4s":…` (`tls.server`, before the leaf certificate's fields).
    var fingerprints: [UInt8]
    /// `"version":…,"extensions":[…]` (`tls.detailed.server_hello`).
    var hello: [UInt8]

    init(_ serverHello: TLSServerHello, digests: TLSDigestCache?) {
        var fingerprints = JSONWriter(reservingCapacity: 96)
        fingerprints.field("ja3s", TLSFingerprint.ja3s(serverHello, digests: digests))
        fingerprints.field("ja4s", TLSFingerprint.ja4s(serverHello, digests: digests))
        self.fingerprints = fingerprints.output
        var hello = JSONWriter(reservingCapacity: 8 &* serverHello.extensions.count &+ 48)
        hello.field("version", TLSNames.version(serverHello.version)?.number ?? "unknown")
        TLSHelloFields.decimalStrings("extensions", serverHello.extensions, to: &hello, keepingGrease: true)
        self.hello = hello.output
    }

    var byteCount: Int { fingerprints.count &+ hello.count }
}

enum TLSHelloFields {
    /// `"name":["0","23",…]`: the values in decimal, as strings, written
    /// in place (a String per value cost more than the rest of the list).
    static func decimalStrings(_ name: String, _ values: [UInt16], to json: inout JSONWriter, keepingGrease: Bool = false) {
        json.key(name)
        json.beginArray()
        for value in values where keepingGrease || !TLSNames.isGrease(value) {
            json.asciiString(maxLength: 5) { digits in
                var divisor: UInt16 = 10_000
                while divisor > 1 && value < divisor { divisor /= 10 }
                var (rest, length) = (value, 0)
                while divisor > 0 {
                    digits[length] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / divisor)
                    rest %= divisor
                    divisor /= 10
                    length &+= 1
                }
                return length
            }
        }
        json.endArray()
    }
}
