/// Certificates already read, by their DER bytes, shared by an engine's
/// TLS sessions: a server sends the same chain on every full handshake,
/// and reading X.509 and hashing it was half of a TLS 1.2 handshake's
/// analysis. Bounded in entries and bytes; when full it starts over (a
/// flood of distinct certificates costs what it cost without a cache).
final class TLSCertificateCache {
    static let maxEntries = 256
    static let maxBytes = 1 << 20

    private var entries: [DER: TLSCertificate] = [:]
    private(set) var bytes = 0
    var count: Int { entries.count }

    func certificate(_ der: [UInt8]) -> TLSCertificate {
        if let known = entries[DER(bytes: der)] { return known }
        let certificate = TLSCertificate(der: der)
        guard der.count <= Self.maxBytes / 4 else { return certificate }
        if entries.count >= Self.maxEntries || bytes &+ der.count > Self.maxBytes {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
        }
        entries[DER(bytes: der)] = certificate
        bytes &+= der.count
        return certificate
    }
}

/// A certificate's DER as a dictionary key, hashed in one pass over its
/// memory: `[UInt8]`'s own hash feeds the hasher a byte at a time, which was
/// most of a cache look-up (BENCHMARKS.md, issue 16).
private struct DER: Hashable {
    let bytes: [UInt8]

    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    static func == (left: DER, right: DER) -> Bool { left.bytes == right.bytes }
}
