import ScopeDecode

/// Certificates as Packetbeat writes them: the leaf in ECS `tls.server.*`
/// (`subject`, `issuer`, `not_before`, `not_after`, `hash.*`, `x509.*`),
/// the rest of the chain in `tls.detailed.server_certificate_chain`; both
/// copied from fragments rendered once per certificate (`render`).
enum TLSCertificateFields {
    static func appendLeaf(_ leaf: TLSCertificate, to server: inout JSONWriter) {
        server.rendered(leaf.json.names)
        server.rendered(leaf.json.dates)
        server.rendered(leaf.json.details)
    }

    static func appendChainEntry(_ certificate: TLSCertificate, to json: inout JSONWriter) {
        json.beginObject()
        json.rendered(certificate.json.names)
        json.rendered(certificate.json.details)
        json.endObject()
    }

    /// The fragments both forms are made of, rendered once per certificate.
    static func render(_ certificate: TLSCertificate.Contents) -> TLSCertificateJSON {
        var names = JSONWriter(reservingCapacity: 256)
        var dates = JSONWriter(reservingCapacity: 96)
        var details = JSONWriter(reservingCapacity: 1024)
        if certificate.parsed {
            names.field("subject", TLSCertificate.distinguishedName(certificate.subject))
            names.field("issuer", TLSCertificate.distinguishedName(certificate.issuer))
            if let notBefore = certificate.notBefore { dates.timestamp("not_before", nanoseconds(notBefore)) }
            if let notAfter = certificate.notAfter { dates.timestamp("not_after", nanoseconds(notAfter)) }
        }
        hashes(certificate, to: &details)
        if certificate.parsed { details.object("x509") { x509(certificate, to: &$0) } }
        return TLSCertificateJSON(names: names.output, dates: dates.output, details: details.output)
    }

    private static func hashes(_ certificate: TLSCertificate.Contents, to json: inout JSONWriter) {
        json.object("hash") { hash in
            hash.field("sha1", certificate.sha1)
            hash.field("sha256", certificate.sha256)
        }
    }

    private static func x509(_ certificate: TLSCertificate.Contents, to x509: inout JSONWriter) {
        if !certificate.alternativeNames.isEmpty { x509.strings("alternative_names", certificate.alternativeNames) }
        x509.object("issuer") { name(&$0, certificate.issuer) }
        x509.object("subject") { name(&$0, certificate.subject) }
        if let notBefore = certificate.notBefore { x509.timestamp("not_before", nanoseconds(notBefore)) }
        if let notAfter = certificate.notAfter { x509.timestamp("not_after", nanoseconds(notAfter)) }
        x509.optional("public_key_algorithm", certificate.publicKeyAlgorithm)
        if let size = certificate.publicKeySize { x509.field("public_key_size", UInt64(size)) }
        x509.optional("serial_number", certificate.serialNumber)
        x509.optional("signature_algorithm", certificate.signatureAlgorithm)
        if let version = certificate.versionNumber { x509.field("version_number", String(version)) }
    }

    private static let nameFields = [("CN", "common_name"), ("C", "country"), ("L", "locality"), ("O", "organization"),
                                     ("OU", "organizational_unit"), ("ST", "state_or_province")]

    /// ECS x509 name fields: the first value of each attribute.
    private static func name(_ json: inout JSONWriter, _ attributes: [(key: String, value: String)]) {
        json.field("distinguished_name", TLSCertificate.distinguishedName(attributes))
        for (key, field) in nameFields {
            if let value = attributes.first(where: { $0.key == key })?.value { json.field(field, value) }
        }
    }

    /// Seconds since 1970 as the event's nanoseconds; dates before 1970 clamp to it.
    static func nanoseconds(_ seconds: Int64) -> UInt64 {
        seconds <= 0 ? 0 : UInt64(min(seconds, Int64(UInt64.max / 1_000_000_000))) &* 1_000_000_000
    }
}

/// A certificate's event fields as JSON members, rendered when it is read
/// and kept with it in the cache: rendering them again for every event cost
/// a third of a TLS 1.2 handshake's analysis (BENCHMARKS.md, issue 16).
struct TLSCertificateJSON: Sendable {
    /// `"subject":…,"issuer":…` (parsed certificates only).
    var names: [UInt8] = []
    /// `"not_before":…,"not_after":…`: the leaf's ECS fields (parsed only).
    var dates: [UInt8] = []
    /// `"hash":{…}` and, when parsed, `"x509":{…}`.
    var details: [UInt8] = []

    var byteCount: Int { names.count &+ dates.count &+ details.count }
}
