/// The Huffman code of HPACK string literals (RFC 7541 §5.2, Appendix B).
/// The code is canonical: codes are assigned in order of length, and
/// within a length in symbol order, so the table of lengths (Appendix B's
/// "len" column) is all the decoder needs.
enum HPACKHuffman {
    /// Code length in bits of each symbol 0...255 and of EOS (256).
    static let lengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ]

    static let maxLength = 30

    /// Per length: the first code of that length, how many codes have it,
    /// and where its symbols start in `symbols` (sorted by length, then value).
    struct Tables {
        var firstCode = [UInt32](repeating: 0, count: maxLength + 1)
        var count = [UInt32](repeating: 0, count: maxLength + 1)
        var offset = [Int](repeating: 0, count: maxLength + 1)
        var symbols: [UInt16] = []
        /// For the first 8 bits of a code: the symbol and its length when
        /// the code is at most 8 bits long (length 0: longer).
        var byteSymbol = [UInt8](repeating: 0, count: 256)
        var byteLength = [UInt8](repeating: 0, count: 256)
        /// The same in one load: symbol | length << 8.
        var byteEntry = [UInt16](repeating: 0, count: 256)

        init() {
            for length in lengths { count[Int(length)] += 1 }
            symbols = (0..<lengths.count).sorted { (lengths[$0], $0) < (lengths[$1], $1) }.map { UInt16($0) }
            var code: UInt32 = 0
            var index = 0
            for length in 1...maxLength {
                firstCode[length] = code
                offset[length] = index
                index += Int(count[length])
                code = (code + count[length]) << 1
            }
            for (position, symbol) in symbols.enumerated() where lengths[Int(symbol)] <= 8 {
                let length = Int(lengths[Int(symbol)])
                let code = firstCode[length] + UInt32(position - offset[length])
                let base = Int(code) << (8 - length)
                for low in 0..<(1 << (8 - length)) {
                    byteSymbol[base | low] = UInt8(symbol)
                    byteLength[base | low] = UInt8(length)
                    byteEntry[base | low] = symbol | UInt16(length) << 8
                }
            }
        }
    }

    /// The tables as plain memory, made once and never freed: reading them
    /// per string then costs no retain or release of array buffers.
    struct Pointers: @unchecked Sendable {
        let firstCode: UnsafePointer<UInt32>
        let count: UnsafePointer<UInt32>
        let offset: UnsafePointer<Int>
        let symbols: UnsafePointer<UInt16>
        let byteSymbol: UnsafePointer<UInt8>
        let byteLength: UnsafePointer<UInt8>
        let byteEntry: UnsafePointer<UInt16>

        init(_ tables: Tables) {
            func copy<T>(_ array: [T]) -> UnsafePointer<T> {
                let memory = UnsafeMutablePointer<T>.allocate(capacity: array.count)
                memory.initialize(from: array, count: array.count)
                return UnsafePointer(memory)
            }
            firstCode = copy(tables.firstCode)
            count = copy(tables.count)
            offset = copy(tables.offset)
            symbols = copy(tables.symbols)
            byteSymbol = copy(tables.byteSymbol)
            byteLength = copy(tables.byteLength)
            byteEntry = copy(tables.byteEntry)
        }
    }

    static let tables = Pointers(Tables())

    /// Decodes `input` onto the end of `output`; false when the input is
    /// not a valid encoding (EOS inside, padding longer than 7 bits or not
    /// all ones). `output` is left with what was decoded.
    static func decode(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Bool {
        // The shortest code is 5 bits: at most 8n/5 symbols. Decoded into
        // scratch memory and appended once (an append per symbol costs a
        // uniqueness and capacity check each).
        let capacity = input.count &* 8 / 5 &+ 1
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { scratch in
            var written = 0
            let ok = decode(input, into: scratch.baseAddress!, written: &written)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<written]))
            return ok
        }
    }

    /// `decode(_:into:)` onto `output`, which has room for 8n/5 symbols.
    /// The input is copied behind 8 zero bytes of room, so that every symbol
    /// reads the next 57 or more bits with one 8-byte load, wherever it is
    /// (strings are short: reading their last bytes one at a time cost more
    /// than the symbols). A symbol of at most 8 bits (nearly all of real
    /// headers) is then one table load. The last bits are looked up with
    /// ones below them: padding is a prefix of EOS (all ones), which no code
    /// of 8 bits or less is, so a code found no longer than the bits left is
    /// real, and anything else is the end.
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>,
                       written: inout Int) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: input.count &+ 8, alignment: 8) { padded in
            padded.copyMemory(from: input)
            padded.storeBytes(of: 0, toByteOffset: input.count, as: UInt64.self)
            return decode(UnsafeRawPointer(padded.baseAddress!), bits: input.count &* 8, into: output, written: &written)
        }
    }

    private static func decode(_ input: UnsafeRawPointer, bits total: Int, into output: UnsafeMutablePointer<UInt8>,
                               written: inout Int) -> Bool {
        let tables = Self.tables
        var position = 0
        var out = 0
        defer { written = out }
        while position < total {
            let left = total &- position
            // The next bits, most significant first: at least 57 of them, zeros past the input.
            var bits = UInt64(bigEndian: input.loadUnaligned(fromByteOffset: position >> 3, as: UInt64.self))
                << UInt64(position & 7)
            if left < 8 { bits |= UInt64.max >> UInt64(left) }
            let entry = tables.byteEntry[Int(truncatingIfNeeded: bits >> 56)]
            let length = Int(truncatingIfNeeded: entry >> 8)
            if length != 0 && length <= left {
                output[out] = UInt8(truncatingIfNeeded: entry)
                out &+= 1
                position &+= length
                continue
            }
            guard left >= 8 else {
                // No whole code left: the rest is padding, at most 7 bits, all ones.
                return bits == UInt64.max
            }
            // A code longer than 8 bits: the first 8 are no code, so bit by bit from the 9th.
            var code = UInt32(truncatingIfNeeded: bits >> 56)
            var codeLength = 8
            var found = false
            while codeLength < min(left, maxLength) {
                codeLength &+= 1
                code = code << 1 | UInt32(truncatingIfNeeded: (bits >> UInt64(64 &- codeLength)) & 1)
                let count = tables.count[codeLength]
                if count != 0 && code &- tables.firstCode[codeLength] < count && code >= tables.firstCode[codeLength] {
                    let symbol = tables.symbols[tables.offset[codeLength] &+ Int(code &- tables.firstCode[codeLength])]
                    if symbol == 256 { return false }  // EOS in a string is an error (§5.2)
                    output[out] = UInt8(truncatingIfNeeded: symbol)
                    out &+= 1
                    position &+= codeLength
                    found = true
                    break
                }
            }
            // Bits left that are no whole code and too many for padding.
            if !found { return false }
        }
        return true
    }
}
