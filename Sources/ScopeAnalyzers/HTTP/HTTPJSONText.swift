import ScopeDecode

/// Byte-level helpers for the HTTP event fields: text that is ASCII and
/// needs no JSON escaping (nearly every method, target, host, user agent
/// and media type) is found eight bytes at a time and copied into the
/// reserved block as it is (`JSONCursor.asciiString`); anything else takes
/// the cursor's escaping path, so the output is the same either way.
enum HTTPJSONText {
    /// Whether any byte of `word` is non-ASCII, a control character, a
    /// quote or a backslash. May say yes for a clean byte above a matching
    /// one (borrows), never no for a dirty one: a yes only sends the text
    /// down the escaping path.
    @inline(__always)
    static func isDirty(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word
        let quotes = word ^ (ones &* 0x22), backslashes = word ^ (ones &* 0x5C)
        let quote = (quotes &- ones) & ~quotes, backslash = (backslashes &- ones) & ~backslashes
        return (control | quote | backslash | word) & highs != 0
    }

    /// ASCII with nothing to escape.
    @inline(__always)
    static func isClean(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        if count >= 8 {
            var offset = 0
            while offset &+ 8 <= count {
                if isDirty(base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) { return false }
                offset &+= 8
            }
            return offset == count || !isDirty(base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self))
        }
        // Fewer than 8: the rest of the word is spaces (clean).
        var word: UInt64 = 0x2020_2020_2020_2020
        var index = 0
        while index < count {
            word = word & ~(0xFF << UInt64(index &* 8)) | UInt64(base.load(fromByteOffset: index, as: UInt8.self)) << UInt64(index &* 8)
            index &+= 1
        }
        return !isDirty(word)
    }

    /// Copies `bytes` to `target`; returns the end.
    @inline(__always)
    static func put(_ bytes: UnsafeRawBufferPointer, at target: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        JSONCursor.copy(bytes, to: target)
    }

    @inline(__always)
    static func put(_ byte: UInt8, at target: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        target.pointee = byte
        return target + 1
    }

    /// Decimal digits of `value` (no sign); returns the end.
    @inline(__always)
    static func put(decimal value: UInt64, at target: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var digits = 1
        var limit: UInt64 = 10
        while value >= limit && digits < 20 {
            digits &+= 1
            if digits == 20 { break }
            limit &*= 10
        }
        var rest = value
        var position = target + digits
        while position > target {
            position -= 1
            position.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return target + digits
    }

    /// A String's UTF-8, contiguous (small strings are spilled to the stack).
    @inline(__always)
    static func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        var copy = text
        return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// `text` as a string value: copied when clean, escaped otherwise.
    @inline(__always)
    static func string(_ text: String, to json: inout JSONCursor) {
        withBytes(text) { string($0, to: &json) }
    }

    /// Bytes of a String (valid UTF-8) as a string value.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer, to json: inout JSONCursor) {
        if isClean(bytes) {
            json.asciiString(maxLength: bytes.count) { put(bytes, at: $0) - $0 }
        } else {
            json.string(utf8: bytes)
        }
    }
}
