#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import _CryptoExtras
import ScopeDecode
import SwiftASN1
import X509

/// What the event says about one certificate of the server's chain (TLS
/// ≤ 1.2, where the Certificate message travels in clear). X.509 is read by
/// swift-certificates; a certificate it refuses (an RSA key under 1024 bits,
/// DSA, an unknown key type, bad DER) keeps only its fingerprints. Its
/// event fields are rendered once, here (`json`): the fields are set only
/// by this initializer, so the rendering never goes stale.
public struct TLSCertificate: Sendable, Equatable {
    /// What the initializer read, behind one reference: a certificate is
    /// copied out of the cache into each event, and through the output;
    /// as a struct of arrays and strings each copy retained every field
    /// (about 1.3k instructions per TLS 1.2 handshake, BENCHMARKS.md).
    private let box: Box

    private final class Box: Sendable {
        let contents: Contents
        /// The fields as the event writes them (`TLSCertificateFields`).
        let json: TLSCertificateJSON

        init(contents: Contents, json: TLSCertificateJSON) {
            self.contents = contents
            self.json = json
        }
    }

    struct Contents: Sendable {
        var subject: [(key: String, value: String)] = []
        var issuer: [(key: String, value: String)] = []
        var alternativeNames: [String] = []
        var serialNumber: String?
        var notBefore: Int64?
        var notAfter: Int64?
        var publicKeyAlgorithm: String?
        var publicKeySize: Int?
        var signatureAlgorithm: String?
        var versionNumber: Int?
        var sha1 = ""
        var sha256 = ""
        var parsed = false
    }

    /// Distinguished names as (attribute, value), in the certificate's order.
    public var subject: [(key: String, value: String)] { box.contents.subject }
    public var issuer: [(key: String, value: String)] { box.contents.issuer }
    public var alternativeNames: [String] { box.contents.alternativeNames }
    /// Uppercase hex, no colons (ECS).
    public var serialNumber: String? { box.contents.serialNumber }
    /// Seconds since 1970.
    public var notBefore: Int64? { box.contents.notBefore }
    public var notAfter: Int64? { box.contents.notAfter }
    public var publicKeyAlgorithm: String? { box.contents.publicKeyAlgorithm }
    public var publicKeySize: Int? { box.contents.publicKeySize }
    public var signatureAlgorithm: String? { box.contents.signatureAlgorithm }
    public var versionNumber: Int? { box.contents.versionNumber }
    /// Uppercase hex of the DER's SHA-1 and SHA-256 (as Packetbeat writes them).
    public var sha1: String { box.contents.sha1 }
    public var sha256: String { box.contents.sha256 }
    /// swift-certificates read the certificate (else only the fingerprints are known).
    public var parsed: Bool { box.contents.parsed }
    /// The fields as the event writes them (`TLSCertificateFields`).
    var json: TLSCertificateJSON { box.json }

    public init(der: [UInt8]) {
        // Rendered from the fields read, so the rendering never goes stale.
        let contents = Self.read(der)
        box = Box(contents: contents, json: TLSCertificateFields.render(contents))
    }

    private static func read(_ der: [UInt8]) -> Contents {
        var contents = Contents()
        contents.sha1 = Hex.string(Insecure.SHA1.hash(data: der)).uppercased()
        contents.sha256 = Hex.string(SHA256.hash(data: der)).uppercased()
        guard let certificate = try? Certificate(derEncoded: der) else { return contents }
        contents.parsed = true
        contents.subject = Self.attributes(certificate.subject)
        contents.issuer = Self.attributes(certificate.issuer)
        contents.serialNumber = Hex.string(certificate.serialNumber.bytes).uppercased()
        contents.notBefore = Self.seconds(certificate.notValidBefore)
        contents.notAfter = Self.seconds(certificate.notValidAfter)
        (contents.publicKeyAlgorithm, contents.publicKeySize) = Self.keyKind(certificate.publicKey)
        contents.signatureAlgorithm = Self.signatureName(certificate.signatureAlgorithm)
        contents.versionNumber = certificate.version == .v3 ? 3 : certificate.version == .v1 ? 1 : 2
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .dnsName(let text), .rfc822Name(let text), .uniformResourceIdentifier(let text):
                    contents.alternativeNames.append(text)
                case .ipAddress(let octets):
                    if let address = Self.address(Array(octets.bytes)) { contents.alternativeNames.append(address) }
                default:
                    break
                }
            }
        }
        return contents
    }

    /// "CN=leaf,O=Org,C=US": the most specific attribute first, as
    /// Packetbeat (and RFC 4514) write a distinguished name.
    static func distinguishedName(_ attributes: [(key: String, value: String)]) -> String {
        // Appended into one String: a String per attribute, then joined, cost
        // more than the rest of a certificate's fields (BENCHMARKS.md, issue 16).
        var text = ""
        text.reserveCapacity(attributes.reduce(0) { $0 &+ $1.key.utf8.count &+ $1.value.utf8.count &+ 2 })
        for index in attributes.indices.reversed() {
            if index != attributes.count &- 1 { text.append(",") }
            text.append(attributes[index].key)
            text.append("=")
            text.append(attributes[index].value)
        }
        return text
    }

    /// The first value of an attribute ("CN", "O", ...).
    func subjectValue(_ key: String) -> String? { subject.first { $0.key == key }?.value }
    func issuerValue(_ key: String) -> String? { issuer.first { $0.key == key }?.value }

    private static let attributeNames: [ASN1ObjectIdentifier: String] = [
        .RDNAttributeType.commonName: "CN", .RDNAttributeType.countryName: "C",
        .RDNAttributeType.localityName: "L", .RDNAttributeType.stateOrProvinceName: "ST",
        .RDNAttributeType.organizationName: "O", .RDNAttributeType.organizationalUnitName: "OU",
        .RDNAttributeType.streetAddress: "STREET", .RDNAttributeType.domainComponent: "DC",
        .RDNAttributeType.emailAddress: "emailAddress",
    ]

    private static func attributes(_ name: DistinguishedName) -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        for rdn in name {
            for attribute in rdn {
                let key = attributeNames[attribute.type] ?? attribute.type.description
                result.append((key, String(attribute.value) ?? attribute.value.description))
            }
        }
        return result
    }

    private static func seconds(_ date: Date) -> Int64 {
        let value = date.timeIntervalSince1970
        return value.isFinite ? Int64(max(min(value, 1e15), -1e15)) : 0
    }

    /// ECS `public_key_algorithm` and `public_key_size` (bits).
    private static func keyKind(_ key: Certificate.PublicKey) -> (String, Int?) {
        if let rsa = _RSA.Signing.PublicKey(key) { return ("RSA", rsa.keySizeInBits) }
        if P256.Signing.PublicKey(key) != nil { return ("ECDSA", 256) }
        if P384.Signing.PublicKey(key) != nil { return ("ECDSA", 384) }
        if P521.Signing.PublicKey(key) != nil { return ("ECDSA", 521) }
        if Curve25519.Signing.PublicKey(key) != nil { return ("Ed25519", 256) }
        return (key.description, nil)
    }

    /// Names as Go's x509 (and so Packetbeat) print them: "SHA256-RSA", "ECDSA-SHA384".
    private static func signatureName(_ algorithm: Certificate.SignatureAlgorithm) -> String {
        switch algorithm {
        case .sha1WithRSAEncryption: "SHA1-RSA"
        case .sha256WithRSAEncryption: "SHA256-RSA"
        case .sha384WithRSAEncryption: "SHA384-RSA"
        case .sha512WithRSAEncryption: "SHA512-RSA"
        case .ecdsaWithSHA256: "ECDSA-SHA256"
        case .ecdsaWithSHA384: "ECDSA-SHA384"
        case .ecdsaWithSHA512: "ECDSA-SHA512"
        case .ed25519: "Ed25519"
        default: algorithm.description
        }
    }

    private static func address(_ octets: [UInt8]) -> String? {
        switch octets.count {
        case 4: return octets.map { String($0) }.joined(separator: ".")
        case 16:
            var (high, low): (UInt64, UInt64) = (0, 0)
            for index in 0..<8 { high = high << 8 | UInt64(octets[index]) }
            for index in 8..<16 { low = low << 8 | UInt64(octets[index]) }
            return IPAddress(ipv6High: high, low: low).description
        default: return nil
        }
    }

    public static func == (lhs: TLSCertificate, rhs: TLSCertificate) -> Bool {
        lhs.sha256 == rhs.sha256
    }
}
