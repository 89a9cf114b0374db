/// The fingerprints' digests already computed, by the text hashed, shared
/// by an engine's TLS sessions: a client sends the same ClientHello lists
/// on every connection, and the MD5 and SHA-256 calls (swift-crypto's set-up
/// and finalization more than the blocks) were a fifth of a TLS 1.3
/// handshake's analysis (BENCHMARKS.md, issue 16). Bounded in entries and
/// bytes; when full it starts over.
final class TLSDigestCache {
    static let maxEntries = 1024
    static let maxBytes = 1 << 20

    enum Kind: UInt8, Hashable { case md5, truncatedSHA256 }

    private struct Key: Hashable {
        let kind: Kind
        let text: [UInt8]

        func hash(into hasher: inout Hasher) {
            hasher.combine(kind)
            text.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    private var entries: [Key: String] = [:]
    private(set) var bytes = 0
    var count: Int { entries.count }

    /// The digest of `text` as `compute` renders it, computed once per text.
    func digest(of text: [UInt8], kind: Kind, _ compute: ([UInt8]) -> String) -> String {
        let key = Key(kind: kind, text: text)
        if let known = entries[key] { return known }
        let digest = compute(text)
        guard text.count <= Self.maxBytes / 4 else { return digest }
        if entries.count >= Self.maxEntries || bytes &+ text.count > Self.maxBytes {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
        }
        entries[key] = digest
        bytes &+= text.count
        return digest
    }
}

/// What TLS sessions of one engine share (`AnalyzerContext.shared`).
final class TLSSharedState {
    let certificates = TLSCertificateCache()
    let hellos = TLSHelloCache()
}
