@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// The server's certificates in tls.pcap (TLS ≤ 1.2, in clear) against
/// tshark's reading: the DER of each certificate (`tls.handshake.certificate`),
/// SANs (`x509ce.dNSName`), serials (`x509af.serialNumber`), validity
/// (`x509af.utcTime`) and names (`x509sat.*String`).
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct TLSCertificateOracleTests {
    static func tsharkCertificates() throws -> [Int: (der: [[UInt8]], sans: [String], serials: [String], times: [String], names: Set<String>)] {
        var result: [Int: (der: [[UInt8]], sans: [String], serials: [String], times: [String], names: Set<String>)] = [:]
        for row in try CaptureOracle.tshark(TLSOracleTests.capture, [
            "-Y", "tls.handshake.type == 11", "-e", "tcp.dstport", "-e", "tls.handshake.certificate", "-e", "x509ce.dNSName",
            "-e", "x509af.serialNumber", "-e", "x509af.utcTime", "-e", "x509sat.uTF8String", "-e", "x509sat.printableString", "-e", "x509sat.CountryName",
        ]) {
            guard let port = Int(row[0]) else { continue }
            let der = row[1].split(separator: ",").map { hex in
                stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
            }
            let list = { (column: String) in column.split(separator: ",").map(String.init) }
            result[port] = (der, list(row[2]), list(row[3]), list(row[4]), Set(list(row[5]) + list(row[6]) + list(row[7])))
        }
        return result
    }

    @Test func chainsAsTsharkReadsThem() throws {
        let events = try TLSOracleTests.events()
        let expected = try Self.tsharkCertificates()
        // Two TLS 1.2 handshakes with the self-signed certificate, one with the generated chain.
        #expect(expected.count == 3)
        for (port, oracle) in expected {
            let chain = try #require(events[port]?.certificates, "\(port)")
            #expect(chain.count == oracle.der.count, "\(port)")
            #expect(chain.map(\.sha256) == oracle.der.map { TLSCertificate(der: $0).sha256 }, "\(port)")
            // SHA-1 as ScopeDecode's own implementation (Community ID's) computes it.
            let sha1 = oracle.der.map { ScopeDecode.SHA1.hash($0).hex.uppercased() }
            #expect(chain.map(\.sha1) == sha1, "\(port)")
            let allParsed = chain.allSatisfy(\.parsed)
            #expect(allParsed)
            #expect(chain.compactMap(\.serialNumber) == oracle.serials.map { $0.uppercased() }, "\(port)")
            let dnsNames = chain.flatMap { $0.alternativeNames.filter { $0.first?.isLetter == true } }
            #expect(dnsNames == oracle.sans, "\(port)")
            let times = chain.flatMap { [$0.notBefore!, $0.notAfter!] }.map(Self.tsharkTime)
            #expect(times == oracle.times, "\(port)")
            let names = Set(chain.flatMap { ($0.subject + $0.issuer).map(\.value) })
            #expect(names == oracle.names, "\(port)")
        }
    }

    @Test func theGeneratedChainsDetails() throws {
        let port = try #require(try TLSOracleTests.events().first { $0.value.clientHello?.serverName == "chain.example.test" }?.key)
        let chain = try #require(try TLSOracleTests.events()[port]?.certificates)
        try #require(chain.count == 2)
        let (leaf, intermediate) = (chain[0], chain[1])
        #expect(TLSCertificate.distinguishedName(leaf.subject) == "CN=chain.example.test,O=Scope Test,L=Test City,ST=California,C=US")
        #expect(TLSCertificate.distinguishedName(leaf.issuer) == "CN=Scope Test Intermediate CA,OU=Issuing,O=Scope Test,C=US")
        #expect(leaf.alternativeNames == ["chain.example.test", "www.chain.example.test", "127.0.0.1"])
        #expect(leaf.serialNumber == "0123456789ABCDEF")
        #expect(leaf.publicKeyAlgorithm == "ECDSA" && leaf.publicKeySize == 256)
        #expect(leaf.signatureAlgorithm == "ECDSA-SHA384" && leaf.versionNumber == 3)
        #expect(leaf.notAfter! - leaf.notBefore! == 397 * 86_400)
        #expect(intermediate.publicKeyAlgorithm == "ECDSA" && intermediate.publicKeySize == 384)
        #expect(intermediate.signatureAlgorithm == "SHA256-RSA")
        #expect(TLSCertificate.distinguishedName(intermediate.issuer) == "CN=Scope Test Root CA,O=Scope Test,C=US")
        // The self-signed certificate of port 8443: RSA 2048.
        let rsa = try #require(try TLSOracleTests.events().values.first { $0.clientHello?.serverName == "tls.example.test" && !$0.certificates.isEmpty })
        #expect(rsa.certificates.first?.publicKeyAlgorithm == "RSA" && rsa.certificates.first?.publicKeySize == 2048)
    }

    /// "2026-12-05 10:22:01 (UTC)", as tshark prints a UTCTime.
    static func tsharkTime(_ seconds: Int64) -> String {
        let text = Timestamp.rfc3339(UInt64(seconds) * 1_000_000_000)
        return text.prefix(10) + " " + text.dropFirst(11).prefix(8) + " (UTC)"
    }
}
