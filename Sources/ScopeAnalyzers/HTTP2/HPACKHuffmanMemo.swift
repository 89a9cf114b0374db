#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Short Huffman-coded strings one decoder decoded lately, by their coded
/// bytes. A server sends the same values in every response (nginx: server,
/// content-type, content-length, last-modified, etag, accept-ranges, and the
/// date within a second), literal each time, and decoding them again was a
/// tenth of an HTTP/2 stream's analysis (BENCHMARKS.md, issue 16). Decoding
/// depends on the coded bytes alone, so a hit gives what decoding gives;
/// only strings that decoded are kept. A few slots, replaced in turn, in
/// memory allocated at the first string kept (one per decoder).
///
/// A class so that the decoder can consult it while its field callback
/// changes the decoder (a stored struct would be one overlapping access).
final class HPACKHuffmanMemo {
    static let slots = 8
    /// Longer coded strings are decoded every time.
    static let maxCoded = 40
    /// The most a coded string of `maxCoded` bytes decodes to (5-bit codes).
    static let maxDecoded = maxCoded &* 8 / 5
    /// A slot: coded length, decoded length, coded bytes, decoded bytes.
    private static let slotSize = 2 &+ maxCoded &+ maxDecoded

    private var storage: UnsafeMutablePointer<UInt8>?
    private var next = 0

    deinit { storage?.deallocate() }

    /// `literal` decoded into `output` (room for `literal.count * 8 / 5 + 1`
    /// bytes); the length, or nil when the code is not valid.
    func decode(_ literal: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) -> Int? {
        let count = literal.count
        let keeps = count > 0 && count <= Self.maxCoded
        if keeps, let storage, let base = literal.baseAddress {
            for slot in 0..<Self.slots {
                let entry = storage + slot * Self.slotSize
                guard Int(entry[0]) == count, memcmp(entry + 2, base, count) == 0 else { continue }
                let decoded = Int(entry[1])
                output.update(from: entry + (2 + Self.maxCoded), count: decoded)
                return decoded
            }
        }
        var written = 0
        guard HPACKHuffman.decode(literal, into: output, written: &written) else { return nil }
        if keeps { keep(literal, output, written) }
        return written
    }

    private func keep(_ literal: UnsafeRawBufferPointer, _ decoded: UnsafeMutablePointer<UInt8>, _ length: Int) {
        guard length <= Self.maxDecoded, let base = literal.baseAddress else { return }
        let storage = self.storage ?? {
            let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.slots &* Self.slotSize)
            memory.initialize(repeating: 0, count: Self.slots &* Self.slotSize)
            self.storage = memory
            return memory
        }()
        let entry = storage + next * Self.slotSize
        next = next &+ 1 == Self.slots ? 0 : next &+ 1
        entry[0] = UInt8(truncatingIfNeeded: literal.count)
        entry[1] = UInt8(truncatingIfNeeded: length)
        (entry + 2).update(from: base.assumingMemoryBound(to: UInt8.self), count: literal.count)
        (entry + (2 + Self.maxCoded)).update(from: decoded, count: length)
    }
}
