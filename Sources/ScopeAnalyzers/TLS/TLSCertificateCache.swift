#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
        // The DER and its rendered fields.
        let size = der.count &+ certificate.json.byteCount
        guard size <= Self.maxBytes / 4 else { return certificate }
        if entries.count >= Self.maxEntries || bytes &+ size > Self.maxBytes {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
        }
        entries[DER(bytes: der)] = certificate
        bytes &+= size
        return certificate
    }
}

/// A certificate's DER as a dictionary key. Hashed from its length and its
/// first and last 64 bytes (the serial number and the signature, which
/// differ between certificates) and compared with `memcmp`: `[UInt8]`'s own
/// hash and `==` walk every byte, which was most of a look-up
/// (BENCHMARKS.md, issue 16). Certificates made to share those bytes only
/// collide, and the cache holds at most `maxEntries` of them.
private struct DER: Hashable {
    let bytes: [UInt8]

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { memory in
            hasher.combine(memory.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: memory.prefix(64)))
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: memory.suffix(64)))
        }
    }

    static func == (left: DER, right: DER) -> Bool {
        left.bytes.count == right.bytes.count && left.bytes.withUnsafeBytes { leftMemory in
            right.bytes.withUnsafeBytes { rightMemory in
                guard let leftBase = leftMemory.baseAddress, let rightBase = rightMemory.baseAddress else { return true }
                return memcmp(leftBase, rightBase, leftMemory.count) == 0
            }
        }
    }
}
