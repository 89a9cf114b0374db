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
/// analysis. Looked up with the DER where it lies in the Certificate
/// message: a hit copies nothing (the copies of the message and of each
/// DER were about 9 % of a TLS 1.2 handshake, BENCHMARKS.md, issue 16).
/// Bounded in entries and bytes; when full it starts over (a flood of
/// distinct certificates costs what it cost without a cache).
final class TLSCertificateCache {
    static let maxEntries = 256
    static let maxBytes = 1 << 20

    /// By `slot(of:)`; each entry keeps its whole DER, compared with `memcmp`.
    private var entries: [Int: Entry] = [:]
    private(set) var bytes = 0
    var count: Int { entries.count }

    private struct Entry {
        let der: [UInt8]
        let certificate: TLSCertificate
        /// The DER and its rendered fields.
        let size: Int
    }

    func certificate(_ der: UnsafeRawBufferPointer) -> TLSCertificate {
        let slot = Self.slot(of: der)
        let known = entries[slot]
        if let known, Self.equal(known.der, der) { return known.certificate }
        let copy = [UInt8](der)
        let certificate = TLSCertificate(der: copy)
        let size = copy.count &+ certificate.json.byteCount
        guard size <= Self.maxBytes / 4 else { return certificate }
        // Another DER in the slot (the same length and sampled bytes): the newer one takes it.
        if let known { bytes &-= known.size }
        if entries.count >= Self.maxEntries || bytes &+ size > Self.maxBytes {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
        }
        entries[slot] = Entry(der: copy, certificate: certificate, size: size)
        bytes &+= size
        return certificate
    }

    /// The DER's length, 8 bytes where a certificate's serial number
    /// usually lies, and the last 16 (the signature's), which differ between
    /// certificates; the dictionary hashes this again with its seed. Hashing
    /// 128 bytes with `Hasher` was 2k instructions per TLS 1.2 handshake.
    /// Certificates made to share those bytes only take turns in one slot.
    private static func slot(of der: UnsafeRawBufferPointer) -> Int {
        let mix: UInt64 = 0x9E37_79B9_7F4A_7C15
        var slot = UInt64(der.count)
        guard der.count >= 24 else {
            for byte in der { slot = slot &* mix ^ UInt64(byte) }
            return Int(truncatingIfNeeded: slot)
        }
        for offset in [15, der.count &- 16, der.count &- 8] {
            slot = slot &* mix ^ der.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        }
        return Int(truncatingIfNeeded: slot)
    }

    private static func equal(_ kept: [UInt8], _ der: UnsafeRawBufferPointer) -> Bool {
        guard kept.count == der.count else { return false }
        return kept.withUnsafeBytes { memory in
            guard let keptBase = memory.baseAddress, let base = der.baseAddress else { return true }
            return memcmp(keptBase, base, der.count) == 0
        }
    }
}
