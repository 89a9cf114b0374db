/// String values built from pieces, and values with a fixed shape
/// (timestamps, addresses, community IDs) rendered in place.
extension JSONCursor {
    // MARK: A string value in pieces: `beginString`, pieces, `endString`.

    @inlinable public mutating func beginString() {
        if room(1) { JSONText.put(UInt8(ascii: "\""), &position) }
        needsComma = false
    }

    @inlinable public mutating func endString() {
        guard position < end else { return isFull = true }
        JSONText.put(UInt8(ascii: "\""), &position)
        needsComma = true
    }

    /// Escaped like any string content.
    @inlinable public mutating func piece(_ text: String) {
        JSONText.withUTF8(text) { escaped($0) }
    }

    @inlinable public mutating func piece(_ text: Substring) {
        JSONText.withUTF8(text) { escaped($0) }
    }

    @inlinable public mutating func piece(_ value: UInt64) {
        if room(20) { JSONText.putDecimal(value, &position) }
    }

    @inlinable public mutating func piece(_ address: IPAddress) {
        if room(39) { JSONText.putAddress(address, &position) }
    }

    /// Bytes that may be ill-formed UTF-8, repaired as `string(utf8:)` does.
    @inlinable public mutating func piece(utf8 value: UnsafeRawBufferPointer) {
        let bytes = value.bindMemory(to: UInt8.self)
        guard JSONText.isValidUTF8(bytes) else { return piece(String(decoding: bytes, as: UTF8.self)) }
        escaped(bytes)
    }

    // MARK: Values written again by copying.

    /// How many bytes this block holds so far. Two marks around a value
    /// let `repeatValue(from:to:)` write it again later.
    @inlinable public var mark: Int { position - start }

    /// The text between two marks of this block (one whole value: a
    /// string, a number, an object) written again as the next value: a copy
    /// instead of rendering again what an event repeats (its protocol name,
    /// start time, each side as source then as client). The marks must come
    /// from this run of the block's body (a retry takes them afresh).
    @inlinable public mutating func repeatValue(from first: Int, to last: Int) {
        precondition(first >= 0 && first <= last && last <= position - start, "marks outside what was written")
        let count = last &- first
        if room(count) { JSONText.copyValue(start + first, count, &position) }
        needsComma = true
    }

    /// A whole value's JSON text rendered ahead (a string with its quotes,
    /// say) as the next value: a copy. The caller vouches for the text.
    @inlinable public mutating func rendered(_ json: UnsafeRawBufferPointer) {
        if let base = json.baseAddress, room(json.count) {
            JSONText.copy(base.assumingMemoryBound(to: UInt8.self), json.count, &position)
        }
        needsComma = true
    }

    // MARK: Fixed-shape values, rendered in place.

    /// RFC 3339 UTC with nanoseconds, as `Timestamp.rfc3339`.
    @inlinable public mutating func timestamp(_ nanoseconds: UInt64) {
        if room(32) {
            JSONText.put(UInt8(ascii: "\""), &position)
            let offset = position - start
            let second = nanoseconds / 1_000_000_000
            if let last = lastTimestamp, last.nanoseconds / 1_000_000_000 == second {
                // Same second: date and time up to the '.' are already written.
                JSONText.copy(start + last.offset, 20, &position)
                JSONText.putDecimal(nanoseconds % 1_000_000_000, digits: 9, &position)
                JSONText.put(UInt8(ascii: "Z"), &position)
            } else {
                JSONText.putRFC3339(nanoseconds, &position)
            }
            JSONText.put(UInt8(ascii: "\""), &position)
            lastTimestamp = (nanoseconds, offset)
        }
        needsComma = true
    }

    /// As `IPAddress.description`. (A value an event repeats is copied
    /// with `repeatValue(from:to:)`.)
    @inlinable public mutating func address(_ address: IPAddress) {
        if room(41) { JSONText.putQuoted(&position) { JSONText.putAddress(address, &$0) } }
        needsComma = true
    }

    /// As `CommunityID.string`.
    @inlinable public mutating func communityID(_ digest: SHA1Digest) {
        if room(32) { JSONText.putQuoted(&position) { JSONText.putCommunityID(digest, &$0) } }
        needsComma = true
    }

    /// As `CommunityID.string`, from text rendered earlier: a copy.
    @inlinable public mutating func communityID(_ text: CommunityIDText) {
        if room(CommunityIDText.count &+ 4) {
            JSONText.putQuoted(&position) { cursor in
                JSONText.put(UInt8(ascii: "1"), &cursor)
                JSONText.put(UInt8(ascii: ":"), &cursor)
                withUnsafeBytes(of: text.base64) { raw in
                    JSONText.copy(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), CommunityIDText.count, &cursor)
                }
            }
        }
        needsComma = true
    }

    /// ASCII that needs no escaping, at most `maxLength` bytes, written by
    /// `body` at the pointer it gets; it returns how many it wrote.
    @inlinable public mutating func asciiString(maxLength: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        let limit = max(0, maxLength)
        if room(limit &+ 2) {
            JSONText.putQuoted(&position) { $0 += min(max(0, body($0)), limit) }
        }
        needsComma = true
    }
}
