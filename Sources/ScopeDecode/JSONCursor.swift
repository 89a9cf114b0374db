/// Writes JSON into space reserved up front (`JSONWriter.write(reserving:_:)`):
/// each value is a bounds check and a few stores, with no per-value trip
/// through Array. When a value does not fit, the cursor skips it and says
/// so (`overflowed`); the writer then drops the block's text, reserves more
/// and runs the body again, so a low estimate costs time, never
/// correctness. (Later values that fit may still be written, never past
/// the end: the text is dropped anyway, and one bounds check per value is
/// all the hot path pays.)
///
/// Keys given as `StaticString` are literals of this code base and are
/// written as they are (they never need escaping); every other string is
/// escaped per RFC 8259.
///
/// The small methods are inlinable: with literal keys, inlined into the
/// event renderers, each is a handful of stores.
public struct JSONCursor {
    @usableFromInline var position: UnsafeMutablePointer<UInt8>
    @usableFromInline let end: UnsafeMutablePointer<UInt8>
    @usableFromInline let start: UnsafeMutablePointer<UInt8>
    @usableFromInline var needsComma: Bool
    @usableFromInline var isFull = false
    /// Where the last timestamp was written in this block: an event's end
    /// is nearly always in its start's second, and copying that second's
    /// text is cheaper than rendering it again.
    @usableFromInline var lastTimestamp: (nanoseconds: UInt64, offset: Int)?

    /// A value did not fit: the block is run again with more room (values
    /// after it may have been written; they are dropped with the block).
    public var overflowed: Bool { isFull }

    init(_ buffer: UnsafeMutablePointer<UInt8>, count: Int, needsComma: Bool) {
        position = buffer
        start = buffer
        end = buffer + count
        self.needsComma = needsComma
    }

    var written: Int { position - start }

    /// Room for a value of at most `count` bytes and the comma before it.
    @inlinable @inline(__always)
    mutating func room(_ count: Int) -> Bool {
        guard end - position > count else {
            isFull = true
            return false
        }
        if needsComma { JSONText.put(UInt8(ascii: ","), &position) }
        return true
    }

    @inlinable @inline(__always) public mutating func beginObject() { open(UInt8(ascii: "{")) }
    @inlinable @inline(__always) public mutating func endObject() { close(UInt8(ascii: "}")) }
    @inlinable public mutating func beginArray() { open(UInt8(ascii: "[")) }
    @inlinable public mutating func endArray() { close(UInt8(ascii: "]")) }

    @inlinable @inline(__always) mutating func open(_ bracket: UInt8) {
        guard room(1) else { return }
        JSONText.put(bracket, &position)
        needsComma = false
    }

    @inlinable @inline(__always) mutating func close(_ bracket: UInt8) {
        guard position < end else { return isFull = true }
        JSONText.put(bracket, &position)
        needsComma = true
    }

    @inlinable @inline(__always) public mutating func key(_ name: StaticString) {
        let count = name.utf8CodeUnitCount
        guard room(count &+ 3) else { return }
        JSONText.put(UInt8(ascii: "\""), &position)
        JSONText.copy(name.utf8Start, count, &position)
        JSONText.put(UInt8(ascii: "\""), &position)
        JSONText.put(UInt8(ascii: ":"), &position)
        needsComma = false
    }

    /// A key that is not a literal (a header name): escaped like a value.
    @inlinable public mutating func key(escaping name: String) {
        string(name)
        guard !isFull, position < end else { return isFull = true }
        JSONText.put(UInt8(ascii: ":"), &position)
        needsComma = false
    }

    /// `"name":` then an object; close it with `endObject()`.
    @inlinable @inline(__always) public mutating func beginObject(_ name: StaticString) {
        key(name)
        beginObject()
    }

    @inlinable public mutating func string(_ value: String) {
        JSONText.withUTF8(value) { quoted($0) }
        needsComma = true
    }

    @inlinable public mutating func string(_ value: Substring) {
        JSONText.withUTF8(value) { quoted($0) }
        needsComma = true
    }

    @inlinable mutating func quoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard room(2) else { return }
        if !JSONText.putQuoted(bytes, &position, end: end) { isFull = true }
    }

    @inlinable mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !isFull else { return }
        if !JSONText.putEscaped(bytes, &position, end: end) { isFull = true }
    }

    /// Bytes that may be ill-formed UTF-8: repaired (U+FFFD) when they are.
    @inlinable public mutating func string(utf8 value: UnsafeRawBufferPointer) {
        let bytes = value.bindMemory(to: UInt8.self)
        guard JSONText.isValidUTF8(bytes) else { return string(String(decoding: bytes, as: UTF8.self)) }
        quoted(bytes)
        needsComma = true
    }

    /// Pre-rendered JSON (a literal, an array or object) as the next value.
    @inlinable @inline(__always) public mutating func raw(_ json: StaticString) {
        let count = json.utf8CodeUnitCount
        guard room(count) else { return }
        JSONText.copy(json.utf8Start, count, &position)
        needsComma = true
    }

    /// Literal JSON text continuing the document, for runs of constant
    /// members written in one go; the caller keeps the whole well-formed.
    /// A comma goes first when one is due and the text opens a member or a
    /// value (`"`, `{`, `[`); afterwards one is due unless the text ends
    /// with `:`, `{`, `[` or `,`.
    @inlinable @inline(__always) public mutating func verbatim(_ json: StaticString) {
        let count = json.utf8CodeUnitCount
        guard count > 0 else { return }
        let first = json.utf8Start[0], last = json.utf8Start[count &- 1]
        let opens = first == UInt8(ascii: "\"") || first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
        if !opens { needsComma = false }
        guard room(count) else { return }
        JSONText.copy(json.utf8Start, count, &position)
        needsComma = !(last == UInt8(ascii: ":") || last == UInt8(ascii: "{") || last == UInt8(ascii: "[")
            || last == UInt8(ascii: ","))
    }

    @inlinable public mutating func number(_ value: UInt64) {
        if room(20) { JSONText.putDecimal(value, &position) }
        needsComma = true
    }

    @inlinable public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }
    @inlinable public mutating func null() { raw("null") }

    @inlinable public mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    @inlinable public mutating func field(_ name: StaticString, _ value: Substring) {
        key(name)
        string(value)
    }

    @inlinable public mutating func field(_ name: StaticString, _ value: UInt64) {
        key(name)
        number(value)
    }

    @inlinable public mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// Fields that are absent stay absent (never `null`).
    @inlinable public mutating func optional(_ name: StaticString, _ value: String?) {
        if let value { field(name, value) }
    }

    @inlinable public mutating func optional(_ name: StaticString, _ value: Substring?) {
        if let value { field(name, value) }
    }
}
