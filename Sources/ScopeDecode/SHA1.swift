import Crypto

/// A SHA-1 digest as five big-endian words; plain values, no heap.
public struct SHA1Digest: Hashable, Sendable {
    public var h0: UInt32, h1: UInt32, h2: UInt32, h3: UInt32, h4: UInt32

    public init(h0: UInt32, h1: UInt32, h2: UInt32, h3: UInt32, h4: UInt32) {
        (self.h0, self.h1, self.h2, self.h3, self.h4) = (h0, h1, h2, h3, h4)
    }

    /// The 20 digest bytes in order.
    public var bytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(20)
        for word in [h0, h1, h2, h3, h4] { appendBigEndian(word, to: &output) }
        return output
    }

    /// Lowercase hex, mainly for tests and logs.
    public var hex: String { Hex.string(bytes) }
}

/// SHA-1 (FIPS 180-4), from swift-crypto (BoringSSL's assembly): measured
/// 15-25% faster than the hand-written Swift it replaced on Community ID's
/// 16- and 40-byte inputs. Only here because Community ID v1 is defined over
/// it; SHA-1 is not used for anything security-relevant in this project.
public enum SHA1 {
    public static func hash(_ bytes: [UInt8]) -> SHA1Digest {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// One-shot hash, no heap: the digest comes back as five words.
    public static func hash(_ message: UnsafeRawBufferPointer) -> SHA1Digest {
        var hasher = Insecure.SHA1()
        hasher.update(bufferPointer: message)
        return hasher.finalize().withUnsafeBytes { digest in
            func word(_ index: Int) -> UInt32 { UInt32(bigEndian: digest.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)) }
            return SHA1Digest(h0: word(0), h1: word(1), h2: word(2), h3: word(3), h4: word(4))
        }
    }
}
