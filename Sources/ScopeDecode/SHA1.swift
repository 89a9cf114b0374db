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

/// SHA-1 (FIPS 180-4). One-block messages (up to 55 bytes: every Community
/// ID input) are compressed in place by `hashSingleBlock`; longer ones go
/// to swift-crypto (BoringSSL's assembly), which beat an earlier
/// hand-written Swift loop by 15-25 % per block but pays a heap context per
/// hash. Only here because Community ID v1 is defined over it; SHA-1 is not
/// used for anything security-relevant in this project.
public enum SHA1 {
    public static func hash(_ bytes: [UInt8]) -> SHA1Digest {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// One-shot hash: the digest comes back as five words.
    public static func hash(_ message: UnsafeRawBufferPointer) -> SHA1Digest {
        message.count <= singleBlockLimit ? hashSingleBlock(message) : hashWithCrypto(message)
    }

    /// Any length, through swift-crypto.
    static func hashWithCrypto(_ message: UnsafeRawBufferPointer) -> SHA1Digest {
        var hasher = Insecure.SHA1()
        hasher.update(bufferPointer: message)
        return hasher.finalize().withUnsafeBytes { digest in
            func word(_ index: Int) -> UInt32 { UInt32(bigEndian: digest.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)) }
            return SHA1Digest(h0: word(0), h1: word(1), h2: word(2), h3: word(3), h4: word(4))
        }
    }

    /// Longest message that fits one 64-byte block with its 0x80 pad byte
    /// and 8-byte bit length.
    static let singleBlockLimit = 55

    /// Messages of one block (every Community ID input: 40 bytes at most)
    /// are compressed here, on the stack. swift-crypto's hasher allocates
    /// its context per hash and copies it to finalize; for one block that
    /// cost more than the compression itself, once per flow and per
    /// UDP/ICMP event.
    static func hashSingleBlock(_ message: UnsafeRawBufferPointer) -> SHA1Digest {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { block in
                block.initializeMemory(as: UInt8.self, repeating: 0)
                if let base = message.baseAddress, message.count > 0 {
                    block.baseAddress!.copyMemory(from: base, byteCount: message.count)
                }
                block[message.count] = 0x80
                block.storeBytes(of: (UInt64(message.count) &* 8).bigEndian, toByteOffset: 56, as: UInt64.self)
                for t in 0..<16 {
                    w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t &* 4, as: UInt32.self))
                }
            }
            for t in 16..<80 { w[t] = rotate(w[t &- 3] ^ w[t &- 8] ^ w[t &- 14] ^ w[t &- 16], 1) }
            var a: UInt32 = 0x6745_2301, b: UInt32 = 0xEFCD_AB89, c: UInt32 = 0x98BA_DCFE
            var d: UInt32 = 0x1032_5476, e: UInt32 = 0xC3D2_E1F0
            // Five rounds per pass with the roles renamed instead of the
            // five words shifted along: each round updates only `e` and `b`.
            @inline(__always) func pass(_ first: Int, _ f: (UInt32, UInt32, UInt32) -> UInt32, _ k: UInt32) {
                @inline(__always) func round(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32,
                                             _ e: inout UInt32, _ word: UInt32) {
                    e = e &+ rotate(a, 5) &+ f(b, c, d) &+ k &+ word
                    b = rotate(b, 30)
                }
                for t in stride(from: first, to: first &+ 20, by: 5) {
                    round(a, &b, c, d, &e, w[t])
                    round(e, &a, b, c, &d, w[t &+ 1])
                    round(d, &e, a, b, &c, w[t &+ 2])
                    round(c, &d, e, a, &b, w[t &+ 3])
                    round(b, &c, d, e, &a, w[t &+ 4])
                }
            }
            pass(0, { b, c, d in (b & c) | (~b & d) }, 0x5A82_7999)
            pass(20, { b, c, d in b ^ c ^ d }, 0x6ED9_EBA1)
            pass(40, { b, c, d in (b & c) | (b & d) | (c & d) }, 0x8F1B_BCDC)
            pass(60, { b, c, d in b ^ c ^ d }, 0xCA62_C1D6)
            return SHA1Digest(h0: 0x6745_2301 &+ a, h1: 0xEFCD_AB89 &+ b, h2: 0x98BA_DCFE &+ c,
                              h3: 0x1032_5476 &+ d, h4: 0xC3D2_E1F0 &+ e)
        }
    }

    @inline(__always) private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 &- count))
    }
}
