/// The byte work under `JSONWriter`: each function writes at a cursor into
/// space the caller reserved, never past the size it promised.
@usableFromInline
enum JSONText {
    @inlinable @inline(__always)
    static func put(_ byte: UInt8, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        cursor.pointee = byte
        cursor += 1
    }

    @inlinable @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Whether any of the eight bytes of `word` needs escaping: below 0x20,
    /// a quote or a backslash (exact; bytes of 0x80 and up never count).
    @inlinable @inline(__always)
    static func wordNeedsEscape(_ word: UInt64) -> Bool {
        // Bit Twiddling Hacks' "has a byte less than n" and "has a zero byte" (of word ^ pattern).
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word
        let quotes = word ^ (ones &* 0x22), backslashes = word ^ (ones &* 0x5C)
        let quote = (quotes &- ones) & ~quotes, backslash = (backslashes &- ones) & ~backslashes
        return (control | quote | backslash) & highs != 0
    }

    /// The UTF-8 of any String or Substring (native ones have it contiguous
    /// already; small ones are spilled to the stack, not the heap).
    @inlinable @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }

    /// A Substring's bytes as a slice of its base string's contiguous UTF-8
    /// (a Substring's own view goes through a slower generic path).
    @inlinable @inline(__always)
    static func withUTF8<R>(_ text: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let base = text.base.utf8
        let start = base.distance(from: base.startIndex, to: text.startIndex)
        let end = start &+ base.distance(from: text.startIndex, to: text.endIndex)
        if let result = base.withContiguousStorageIfAvailable({ body(UnsafeBufferPointer(rebasing: $0[start..<end])) }) {
            return result
        }
        var copy = String(text)
        return copy.withUTF8(body)
    }

    /// The quotes around what `body` writes (ASCII needing no escapes).
    @inlinable @inline(__always)
    static func putQuoted(_ cursor: inout UnsafeMutablePointer<UInt8>, _ body: (inout UnsafeMutablePointer<UInt8>) -> Void) {
        put(UInt8(ascii: "\""), &cursor)
        body(&cursor)
        put(UInt8(ascii: "\""), &cursor)
    }

    /// `bytes` escaped and quoted, never past `end`; false when they do not
    /// fit (what was written then is garbage the caller drops).
    @usableFromInline
    static func putQuoted(_ bytes: UnsafeBufferPointer<UInt8>, _ cursor: inout UnsafeMutablePointer<UInt8>,
                          end: UnsafeMutablePointer<UInt8>) -> Bool {
        guard end - cursor >= 2 else { return false }
        put(UInt8(ascii: "\""), &cursor)
        guard putEscaped(bytes, &cursor, end: end - 1) else { return false }
        put(UInt8(ascii: "\""), &cursor)
        return true
    }

    /// Runs of bytes that need no escaping are copied in one go (found
    /// eight bytes at a time; a tail of a longer string is checked as the
    /// last eight bytes); most strings are one such run. Never writes past
    /// `end`; false when out of room.
    @usableFromInline
    static func putEscaped(_ bytes: UnsafeBufferPointer<UInt8>, _ cursor: inout UnsafeMutablePointer<UInt8>,
                           end: UnsafeMutablePointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var runStart = 0
        var index = 0
        while index < count {
            let left = count &- index
            if left >= 8 {
                if !wordNeedsEscape(word(base, at: index)) {
                    index &+= 8
                    continue
                }
            } else if count >= 8 {
                // Re-checks bytes already passed: harmless, they were clean or dealt with.
                if !wordNeedsEscape(word(base, at: count &- 8)) {
                    index = count
                    continue
                }
            } else if !(index..<count).contains(where: { needsEscape(base[$0]) }) {
                index = count
                continue
            }
            let stop = index &+ min(8, left)
            while index < stop {
                if needsEscape(base[index]) {
                    guard end - cursor >= index &- runStart &+ 6 else { return false }
                    copy(base + runStart, index &- runStart, &cursor)
                    putEscape(base[index], &cursor)
                    runStart = index &+ 1
                }
                index &+= 1
            }
        }
        guard end - cursor >= count &- runStart else { return false }
        copy(base + runStart, count &- runStart, &cursor)
        return true
    }

    @inline(__always)
    private static func word(_ base: UnsafePointer<UInt8>, at offset: Int) -> UInt64 {
        UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
    }

    /// Short copies (most strings here) as two overlapping loads and stores
    /// instead of a call to memmove.
    @inlinable @inline(__always)
    static func copy(_ source: UnsafePointer<UInt8>, _ count: Int, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        let target = UnsafeMutableRawPointer(cursor)
        let from = UnsafeRawPointer(source)
        switch count {
        case 8...16:
            let head = from.loadUnaligned(as: UInt64.self), tail = from.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        case 4..<8:
            let head = from.loadUnaligned(as: UInt32.self), tail = from.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
        case 1..<4:
            for offset in 0..<count { cursor[offset] = source[offset] }
        case 0:
            break
        default:
            cursor.update(from: source, count: count)
        }
        cursor += count
    }

    /// `copy` for a length known only at run time that is often 17 to 64
    /// bytes (a repeated timestamp or side object): overlapping 16-byte
    /// moves instead of a call to memmove. Kept out of `copy`, which is
    /// inlined everywhere.
    @inlinable @inline(__always)
    static func copyValue(_ source: UnsafePointer<UInt8>, _ count: Int, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        guard count > 16 && count <= 64 else { return copy(source, count, &cursor) }
        let target = UnsafeMutableRawPointer(cursor)
        let from = UnsafeRawPointer(source)
        let first = from.loadUnaligned(as: SIMD16<UInt8>.self)
        let last = from.loadUnaligned(fromByteOffset: count &- 16, as: SIMD16<UInt8>.self)
        if count > 32 {
            let second = from.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self)
            let third = from.loadUnaligned(fromByteOffset: count &- 32, as: SIMD16<UInt8>.self)
            target.storeBytes(of: second, toByteOffset: 16, as: SIMD16<UInt8>.self)
            target.storeBytes(of: third, toByteOffset: count &- 32, as: SIMD16<UInt8>.self)
        }
        target.storeBytes(of: first, as: SIMD16<UInt8>.self)
        target.storeBytes(of: last, toByteOffset: count &- 16, as: SIMD16<UInt8>.self)
        cursor += count
    }

    private static func putEscape(_ byte: UInt8, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        put(UInt8(ascii: "\\"), &cursor)
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(byte, &cursor)
        case 0x0A: put(UInt8(ascii: "n"), &cursor)
        case 0x0D: put(UInt8(ascii: "r"), &cursor)
        case 0x09: put(UInt8(ascii: "t"), &cursor)
        case 0x08: put(UInt8(ascii: "b"), &cursor)
        case 0x0C: put(UInt8(ascii: "f"), &cursor)
        default:
            put(UInt8(ascii: "u"), &cursor)
            put(UInt8(ascii: "0"), &cursor)
            put(UInt8(ascii: "0"), &cursor)
            put(Hex.digit(byte >> 4), &cursor)
            put(Hex.digit(byte & 0x0F), &cursor)
        }
    }

    /// Decimal digits, at most 20; counted by comparison, written two at a
    /// time. One or two digits (small sizes and counts) take a short cut.
    @inlinable
    static func putDecimal(_ value: UInt64, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        if value < 10 { return put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value), &cursor) }
        if value < 100 {
            putPair(value, at: cursor)
            cursor += 2
            return
        }
        // Three to five digits (ports, sizes, durations in microseconds) by
        // two comparisons; longer ones counted on.
        if value < 100_000 {
            return putDecimal(value, digits: value < 1000 ? 3 : value < 10_000 ? 4 : 5, &cursor)
        }
        var digits = 6
        var limit: UInt64 = 1_000_000
        while value >= limit {
            digits &+= 1
            guard digits < 20 else { break }  // 10^19 is the last power of ten below 2^64
            limit &*= 10
        }
        putDecimal(value, digits: digits, &cursor)
    }

    /// Exactly `digits` digits, zero-padded (the caller knows the value fits).
    @inlinable @inline(__always)
    static func putDecimal(_ value: UInt64, digits: Int, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        var rest = value
        var position = cursor + digits
        while position - cursor >= 2 {
            let quotient = rest / 100
            position -= 2
            putPair(rest &- quotient &* 100, at: position)
            rest = quotient
        }
        if position > cursor { cursor[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10) }
        cursor += digits
    }

    /// The two digits of `pair` (0...99) at `target`: one two-byte copy
    /// from `digitPairs` instead of a division and two stores.
    @inlinable @inline(__always)
    static func putPair(_ pair: UInt64, at target: UnsafeMutablePointer<UInt8>) {
        let digits = UnsafeRawPointer(digitPairs.utf8Start).loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: pair) &* 2,
                                                                          as: UInt16.self)
        UnsafeMutableRawPointer(target).storeBytes(of: digits, as: UInt16.self)
    }

    /// "00" to "99" in a row, for `putPair`. A literal: no lazy global, no
    /// bounds check.
    @inlinable
    static var digitPairs: StaticString {
        @inline(__always) get {
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        }
    }
}

extension JSONCursor {
    /// Copies `bytes` to `target` the way the cursor's own writes do (short
    /// copies without memmove), for callers that write inside a reserved
    /// block (`asciiString(maxLength:)`); returns the end.
    @inlinable @inline(__always)
    public static func copy(_ bytes: UnsafeRawBufferPointer, to target: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        guard let source = bytes.baseAddress else { return target }
        var cursor = target
        JSONText.copy(source.assumingMemoryBound(to: UInt8.self), bytes.count, &cursor)
        return cursor
    }
}
