import Testing
@testable import ScopeDecode

@Suite("SHA-1, base64 and Community ID")
struct CommunityIDTests {
    @Test func sha1StandardVectors() {
        #expect(SHA1.hash([UInt8]()).hex == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hash(Array("abc".utf8)).hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex
            == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(SHA1.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex
            == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    /// Lengths around the 55/56/64-byte padding boundaries (reference digests
    /// from Python's hashlib over bytes (i * 31 + 7) & 0xFF).
    @Test(arguments: [
        (55, "749bbefb28edc4638b28b2b9a9e03ab9a4032b90"), (56, "a5b6e9c29d201c774753ff8e7fb64931656f5e63"),
        (63, "d1a454409359fc372b4d22b3cea6488d6ba1be00"), (64, "39a0d8b645ad85f1f976731ed112ac9455e28b78"),
        (65, "d0c96e18890114a14716e9686528d2e3fdba8d9e"), (119, "562ecf8a430f8e1056e3619bae33628e9a1d0a4e"),
        (120, "353f6d2bf0e91aa91b74a2e0b3f297510f7d825f"), (1000, "414475341017ec91703435a6f290324818f983e9"),
    ])
    func sha1PaddingBoundaries(length: Int, digest: String) {
        let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }
        #expect(SHA1.hash(data).hex == digest)
    }

    /// The in-place one-block compression against swift-crypto, for every
    /// length it takes (0...55 bytes) and several byte patterns.
    @Test func sha1SingleBlockMatchesCrypto() {
        for length in 0...SHA1.singleBlockLimit {
            for pattern in 0..<4 {
                let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* (31 &+ pattern * 66) &+ pattern * 85 &+ 7) }
                data.withUnsafeBytes { bytes in
                    #expect(SHA1.hashSingleBlock(bytes) == SHA1.hashWithCrypto(bytes), "length \(length) pattern \(pattern)")
                }
            }
        }
    }

    @Test func base64RFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==",
                       "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (input, output) in vectors {
            #expect(Base64.encode(Array(input.utf8)) == output)
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    }

    /// Every entry of the spec repository's baseline/baseline_deflt.json
    /// (seed 0, base64). For ICMP the baseline's "ports" are type and code.
    static let baseline: [(UInt8, String, String, UInt16?, UInt16?, String)] = [
        (58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
        (58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="),
        (58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck="),
        (58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck="),
        (58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="),
        (58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="),
        (58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="),
        (58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="),
        (58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="),
        (58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00="),
        (1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
        (1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
        (1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="),
        (6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
        (6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
        (132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
        (132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
        (6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        (6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        (17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        (17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        (46, "10.1.12.1", "10.1.12.2", nil, nil, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="),
        (46, "10.1.12.2", "10.1.12.1", nil, nil, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="),
    ]

    @Test func specBaselineVectors() {
        #expect(CommunityIDTests.baseline.count == 23)
        for (proto, source, destination, sourcePort, destinationPort, expected) in CommunityIDTests.baseline {
            let digest = CommunityID.digest(source: ip(source), destination: ip(destination), ipProtocol: proto,
                                            sourcePort: sourcePort ?? 0, destinationPort: destinationPort ?? 0)
            #expect(CommunityID.string(digest) == expected, "\(proto) \(source) -> \(destination)")
        }
    }

    @Test func icmpMapping() {
        #expect(CommunityID.icmpPortEquivalents(type: 8, code: 0, version6: false) == (8, 0, false))
        #expect(CommunityID.icmpPortEquivalents(type: 3, code: 1, version6: false) == (3, 1, true))
        #expect(CommunityID.icmpPortEquivalents(type: 135, code: 0, version6: true) == (135, 136, false))
        #expect(CommunityID.icmpPortEquivalents(type: 1, code: 4, version6: true) == (1, 4, true))
    }

    @Test func seedChangesTheHash() {
        let unseeded = CommunityID.digest(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), ipProtocol: 6,
                                          sourcePort: 1, destinationPort: 2)
        let seeded = CommunityID.digest(source: ip("10.0.0.1"), destination: ip("10.0.0.2"), ipProtocol: 6,
                                        sourcePort: 1, destinationPort: 2, seed: 1)
        #expect(unseeded != seeded)
    }
}
