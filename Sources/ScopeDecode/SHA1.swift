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
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// SHA-1 (FIPS 180-4). Only here because Community ID v1 is defined over it;
/// SHA-1 is not used for anything security-relevant in this project.
public enum SHA1 {
    public static func hash(_ bytes: [UInt8]) -> SHA1Digest {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// One-shot hash. Full blocks are compressed straight from `message`; the
    /// tail and padding go through a 128-byte stack buffer.
    public static func hash(_ message: UnsafeRawBufferPointer) -> SHA1Digest {
        var state = SHA1Digest(h0: 0x6745_2301, h1: 0xEFCD_AB89, h2: 0x98BA_DCFE, h3: 0x1032_5476, h4: 0xC3D2_E1F0)
        let fullBlocks = message.count / 64
        for block in 0..<fullBlocks {
            compress(&state, UnsafeRawBufferPointer(rebasing: message[(block * 64)..<(block * 64 + 64)]))
        }
        let tailCount = message.count - fullBlocks * 64
        // 0x80 terminator and the 8-byte bit length must fit after the tail.
        let paddedCount = tailCount < 56 ? 64 : 128
        withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { scratch in
            scratch.initializeMemory(as: UInt8.self, repeating: 0)
            if tailCount > 0, let source = message.baseAddress, let target = scratch.baseAddress {
                target.copyMemory(from: source + fullBlocks * 64, byteCount: tailCount)
            }
            scratch[tailCount] = 0x80
            let bitLength = UInt64(message.count) &* 8
            for index in 0..<8 {
                scratch[paddedCount - 1 - index] = UInt8(truncatingIfNeeded: bitLength >> UInt64(index * 8))
            }
            let padded = UnsafeRawBufferPointer(scratch)
            compress(&state, UnsafeRawBufferPointer(rebasing: padded[0..<64]))
            if paddedCount == 128 {
                compress(&state, UnsafeRawBufferPointer(rebasing: padded[64..<128]))
            }
        }
        return state
    }

    private static func compress(_ state: inout SHA1Digest, _ block: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { schedule in
            for index in 0..<16 {
                schedule[index] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            }
            for index in 16..<80 {
                let mixed = schedule[index - 3] ^ schedule[index - 8] ^ schedule[index - 14] ^ schedule[index - 16]
                schedule[index] = mixed.rotatedLeft(1)
            }
            var (a, b, c, d, e) = (state.h0, state.h1, state.h2, state.h3, state.h4)
            for index in 0..<80 {
                let f: UInt32, k: UInt32
                switch index {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let temp = a.rotatedLeft(5) &+ f &+ e &+ k &+ schedule[index]
                (e, d, c, b, a) = (d, c, b.rotatedLeft(30), a, temp)
            }
            state.h0 &+= a
            state.h1 &+= b
            state.h2 &+= c
            state.h3 &+= d
            state.h4 &+= e
        }
    }
}

extension UInt32 {
    @inline(__always)
    func rotatedLeft(_ count: UInt32) -> UInt32 {
        (self << count) | (self >> (32 - count))
    }
}
