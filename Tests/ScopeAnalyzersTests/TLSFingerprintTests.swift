@testable import ScopeAnalyzers
import Testing

/// JA4 and JA4S against the examples FoxIO publishes: the specification's
/// (technical_details/JA4.md, JA4S.md) and rows of its tools' test data
/// (python/test/testdata/tls-handshake.pcapng.json), rebuilt as hellos from
/// their raw "original order" lists. JA3 is checked against tshark in
/// TLSOracleTests.
struct TLSFingerprintTests {
    static func values(_ text: String) -> [UInt16] { text.split(separator: ",").map { UInt16($0, radix: 16)! } }

    static let specCiphers = values("1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035")
    static let specAlgorithms = values("0403,0804,0401,0503,0805,0501,0806,0601")

    /// The specification's ClientHello: TLS 1.3, SNI, ALPN h2.
    static func specHello(extensions: String, alpn: String = "h2") -> TLSClientHello {
        var hello = TLSClientHello()
        hello.legacyVersion = 0x0303
        hello.supportedVersions = [0x0304, 0x0303]
        hello.cipherSuites = specCiphers
        hello.extensions = values(extensions)
        hello.signatureAlgorithms = specAlgorithms
        hello.firstProtocol = Array(alpn.utf8)
        return hello
    }

    @Test func theSpecificationsJA4() {
        let hello = Self.specHello(extensions: "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015")
        #expect(TLSFingerprint.ja4(hello) == "t13d1516h2_8daaf6152771_e5627efa2ab1")
        // GREASE anywhere changes nothing.
        var greased = hello
        greased.cipherSuites.insert(0x0A0A, at: 0)
        greased.extensions.insert(0x3A3A, at: 3)
        greased.extensions.append(0xFAFA)
        greased.supportedVersions.insert(0x7A7A, at: 0)
        greased.signatureAlgorithms.insert(0x2A2A, at: 0)
        #expect(TLSFingerprint.ja4(greased) == TLSFingerprint.ja4(hello))
    }

    @Test func theSpecificationsPartsSeparately() {
        let sorted = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"
        #expect(TLSFingerprint.truncatedSHA256(sorted) == "8daaf6152771")
        // Without signature algorithms the extension list is hashed alone.
        #expect(TLSFingerprint.truncatedSHA256("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01") == "6d807ffa2a79")
        var hello = Self.specHello(extensions: "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015")
        hello.signatureAlgorithms = []
        #expect(TLSFingerprint.ja4(hello) == "t13d1516h2_8daaf6152771_6d807ffa2a79")
        // Empty lists are twelve zeros, not the hash of nothing.
        var bare = TLSClientHello()
        bare.legacyVersion = 0x0303
        #expect(TLSFingerprint.ja4(bare) == "t12i000000_000000000000_000000000000")
    }

    @Test func publishedTestDataRows() {
        // lastpass (stream 5): ALPN http/1.1, extensions in another order.
        let lastpass = Self.specHello(extensions: "000d,0033,0000,ff01,002b,0023,002d,0005,0012,000b,0017,4469,0010,001b,000a,0015",
                                      alpn: "http/1.1")
        #expect(TLSFingerprint.ja4(lastpass) == "t13d1516h1_8daaf6152771_e5627efa2ab1")
        var server = TLSServerHello()
        server.legacyVersion = 0x0303
        server.cipherSuite = 0xC030
        server.extensions = Self.values("ff01,000b,0023")
        #expect(TLSFingerprint.ja4s(server) == "t120300_c030_bec8bdbaef8a")
        // akamaized (stream 34): the server chose h2.
        server.cipherSuite = 0xC02B
        server.extensions = Self.values("ff01,0000,000b,0023,0005,0010")
        server.protocolBytes = Array("h2".utf8)
        #expect(TLSFingerprint.ja4s(server) == "t1206h2_c02b_9bd66850b8f2")
    }

    @Test func theSpecificationsJA4S() {
        var server = TLSServerHello()
        server.legacyVersion = 0x0303
        server.cipherSuite = 0xC030
        server.extensions = Self.values("0005,0017,ff01,0000")
        #expect(TLSFingerprint.ja4s(server) == "t120400_c030_4e8089b08790")
        server.extensions = []
        #expect(TLSFingerprint.ja4s(server) == "t120000_c030_000000000000")
        // TLS 1.3: the version from supported_versions.
        server.selectedVersion = 0x0304
        #expect(TLSFingerprint.ja4s(server).hasPrefix("t13"))
    }

    @Test func alpnCharactersAsTheSpecificationLists() {
        let cases: [([UInt8], String)] = [
            ([0xAB], "ab"), ([0x20], "20"), ([0xAB, 0xCD], "ad"), ([0x20, 0x61], "21"), ([0x30, 0xAB], "3b"),
            ([0x61, 0x20], "60"), ([0x30, 0x31, 0xAB, 0xCD], "3d"), ([0x30, 0xAB, 0xCD, 0x31], "01"),
            (Array("h2".utf8), "h2"), (Array("http/1.1".utf8), "h1"), (Array("a".utf8), "aa"), ([], "00"),
        ]
        for (value, expected) in cases { #expect(TLSFingerprint.alpnCode(value) == expected, "\(value)") }
        #expect(TLSFingerprint.alpnCode(nil) == "00")
    }

    @Test func ja3StringsSkipGreaseAndKeepEmptyFields() {
        var hello = TLSClientHello()
        hello.legacyVersion = 0x0303
        hello.cipherSuites = [0x0A0A, 0x1301, 0x00FF]
        #expect(TLSFingerprint.ja3String(hello) == "771,4865-255,,,")
        hello.extensions = [0x1A1A, 0, 10, 11]
        hello.supportedGroups = [0x2A2A, 29, 23]
        hello.pointFormats = [0]
        #expect(TLSFingerprint.ja3String(hello) == "771,4865-255,0-10-11,29-23,0")
        // MD5 of the string, lowercase hex (RFC 1321's test vector first).
        #expect(TLSFingerprint.md5("abc") == "900150983cd24fb0d6963f7d28e17f72")
    }

    /// The engine's memo of digests answers what the hash functions answer,
    /// per kind (one text hashed both ways), for long lists sorted past the
    /// insertion-sort length, and stays within its bounds under a flood.
    @Test func theDigestMemoIsTheHashBounded() {
        let digests = TLSDigestCache()
        var hello = Self.specHello(extensions: "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015")
        hello.cipherSuites = (0..<70).map { UInt16(0x2000 &- $0 &* 7) } + [0x0A0A]
        hello.supportedGroups = [29, 23]
        hello.pointFormats = [0, 1]
        for _ in 0..<2 {
            #expect(TLSFingerprint.ja4(hello, digests: digests) == TLSFingerprint.ja4(hello))
            #expect(TLSFingerprint.ja3(hello, digests: digests) == TLSFingerprint.md5(TLSFingerprint.ja3String(hello)))
        }
        let sorted = hello.cipherSuites.filter { $0 != 0x0A0A }.sorted().map { String($0, radix: 16).leftPadded(to: 4) }
        #expect(TLSFingerprint.ja4(hello).split(separator: "_")[1]
                == TLSFingerprint.truncatedSHA256(sorted.joined(separator: ","))[...])
        let text = Array("abc".utf8)
        #expect(digests.digest(of: text, kind: .md5) { _ in "md5" } == "md5")
        #expect(digests.digest(of: text, kind: .truncatedSHA256) { _ in "sha" } == "sha")
        #expect(digests.digest(of: text, kind: .md5) { _ in "again" } == "md5")
        for index in 0..<3_000 {
            _ = digests.digest(of: text + [UInt8(index & 0xFF), UInt8(index >> 8)], kind: .md5) { _ in "" }
            #expect(digests.count <= TLSDigestCache.maxEntries && digests.bytes <= TLSDigestCache.maxBytes)
        }
    }

    /// ServerHello extension lists of every length up to past the
    /// insertion-sort one, with and without the memo.
    @Test func ja4sWithTheMemoIsJA4S() {
        let digests = TLSDigestCache()
        for count in [0, 1, 5, 40] {
            var server = TLSServerHello()
            server.legacyVersion = 0x0303
            server.cipherSuite = 0xC030
            server.extensions = (0..<count).map { UInt16(count &- $0) }
            #expect(TLSFingerprint.ja4s(server, digests: digests) == TLSFingerprint.ja4s(server))
            #expect(TLSFingerprint.ja3s(server, digests: digests) == TLSFingerprint.md5(TLSFingerprint.ja3sString(server)))
        }
    }

    /// The engine's memo of hello fields (fingerprints included) answers
    /// what rendering them answers, tells apart hellos that differ in any
    /// list they read (the order, GREASE, the ALPN value), and stays within
    /// its bounds.
    @Test func theHelloMemoIsTheRendering() {
        let cache = TLSHelloCache()
        let hello = Self.specHello(extensions: "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015")
        var variants = [hello]
        var reordered = hello
        reordered.extensions.swapAt(0, 1)
        var greased = hello
        greased.cipherSuites.insert(0x0A0A, at: 0)
        var otherProtocol = hello
        otherProtocol.firstProtocol = Array("http/1.1".utf8)
        var noProtocol = hello
        noProtocol.firstProtocol = nil
        var groups = hello
        groups.supportedGroups = [29, 23]
        groups.pointFormats = [0]
        variants += [reordered, greased, otherProtocol, noProtocol, groups]
        for _ in 0..<2 {
            for variant in variants {
                let (cached, rendered) = (cache.client(variant), TLSClientFields(variant, digests: nil))
                #expect(cached.lists == rendered.lists && cached.helloHead == rendered.helloHead
                         && cached.helloExtensions == rendered.helloExtensions)
                let text = String(decoding: cached.lists, as: UTF8.self)
                #expect(text.contains(TLSFingerprint.ja3(variant)) && text.contains(TLSFingerprint.ja4(variant)))
            }
        }
        var server = TLSServerHello()
        server.legacyVersion = 0x0303
        server.cipherSuite = 0x1301
        server.extensions = [43, 51]
        var selected = server
        selected.selectedVersion = 0x0304
        var withProtocol = selected
        withProtocol.protocolBytes = Array("h2".utf8)
        for _ in 0..<2 {
            for variant in [server, selected, withProtocol] {
                let (cached, rendered) = (cache.server(variant), TLSServerFields(variant, digests: nil))
                #expect(cached.fingerprints == rendered.fingerprints && cached.hello == rendered.hello)
                let text = String(decoding: cached.fingerprints, as: UTF8.self)
                #expect(text.contains(TLSFingerprint.ja3s(variant)) && text.contains(TLSFingerprint.ja4s(variant)))
            }
        }
        for index in 0..<3_000 {
            var flood = hello
            flood.cipherSuites.append(UInt16(truncatingIfNeeded: index))
            _ = cache.client(flood)
            #expect(cache.count <= TLSHelloCache.maxEntries && cache.bytes <= TLSHelloCache.maxBytes)
        }
    }
}
