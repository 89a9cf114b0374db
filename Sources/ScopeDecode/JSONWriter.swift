/// Minimal streaming JSON writer into a byte buffer. Commas are inserted
/// automatically; strings are escaped per RFC 8259 (quote, backslash and all
/// control characters; everything else passes through as UTF-8).
///
/// Every call reserves its worst-case size once and writes through a
/// pointer into the array's spare capacity (`JSONText` does the byte work):
/// one capacity check per value instead of one per byte.
public struct JSONWriter: Sendable {
    public var output: [UInt8]
    private var needsComma = false

    public init(reservingCapacity capacity: Int = 512) {
        output = []
        output.reserveCapacity(capacity)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    public mutating func key(_ name: String) {
        var name = name
        name.withUTF8 { name in
            let limit = JSONText.quotedLimit(name) &+ 2
            write(atMost: limit, separated: true) { cursor in
                JSONText.putQuoted(name, &cursor)
                JSONText.put(UInt8(ascii: ":"), &cursor)
            }
        }
        needsComma = false
    }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { value in
            write(atMost: JSONText.quotedLimit(value) &+ 1, separated: true) { JSONText.putQuoted(value, &$0) }
        }
        needsComma = true
    }

    public mutating func string(_ value: Substring) {
        var value = value
        value.withUTF8 { value in
            write(atMost: JSONText.quotedLimit(value) &+ 1, separated: true) { JSONText.putQuoted(value, &$0) }
        }
        needsComma = true
    }

    /// A string given as UTF-8 bytes (e.g. rendered addresses). ASCII goes
    /// straight through; anything else is validated and ill-formed
    /// sequences become U+FFFD, so the output is always valid JSON.
    public mutating func string(utf8 value: [UInt8]) {
        value.withUnsafeBytes { string(utf8: $0) }
    }

    /// The same for bytes still in a packet or parser buffer: no String is
    /// made unless the bytes are ill-formed UTF-8 and need repairing.
    public mutating func string(utf8 value: UnsafeRawBufferPointer) {
        let bytes = value.bindMemory(to: UInt8.self)
        guard JSONText.isValidUTF8(bytes) else {
            string(String(decoding: bytes, as: UTF8.self))
            return
        }
        write(atMost: JSONText.quotedLimit(bytes) &+ 1, separated: true) { JSONText.putQuoted(bytes, &$0) }
        needsComma = true
    }

    /// A string value produced straight into the output by `body`, which
    /// must append only ASCII that needs no escaping (digits, addresses,
    /// timestamps, base64): no intermediate buffer.
    public mutating func asciiString(_ body: (inout [UInt8]) -> Void) {
        separate()
        output.append(UInt8(ascii: "\""))
        body(&output)
        output.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// The same through a pointer: `body` writes at most `maxLength` bytes
    /// of ASCII that needs no escaping and returns how many it wrote.
    public mutating func asciiString(maxLength: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        let room = max(0, maxLength)
        write(atMost: room &+ 3, separated: true) { cursor in
            JSONText.put(UInt8(ascii: "\""), &cursor)
            cursor += min(max(0, body(cursor)), room)
            JSONText.put(UInt8(ascii: "\""), &cursor)
        }
        needsComma = true
    }

    /// A string value assembled from pieces, each escaped as it is added:
    /// "GET /index.html" or a URL without building the String first.
    public mutating func string(composedOf body: (inout JSONStringPieces) -> Void) {
        write(atMost: 2, separated: true) { JSONText.put(UInt8(ascii: "\""), &$0) }
        var pieces = JSONStringPieces()
        swap(&pieces.output, &output)
        body(&pieces)
        swap(&pieces.output, &output)
        output.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// Pre-rendered JSON (a literal array or object) as the next value.
    public mutating func raw(_ json: StaticString) {
        json.withUTF8Buffer { json in
            write(atMost: json.count &+ 1, separated: true) { cursor in
                guard let start = json.baseAddress else { return }
                cursor.update(from: start, count: json.count)
                cursor += json.count
            }
        }
        needsComma = true
    }

    public mutating func number(_ value: UInt64) {
        write(atMost: 21, separated: true) { JSONText.putDecimal(value, &$0) }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    public mutating func null() {
        raw("null")
    }

    /// Convenience: `"name":"value"`.
    public mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: String, _ value: UInt64) {
        var name = name
        name.withUTF8 { name in
            write(atMost: JSONText.quotedLimit(name) &+ 22, separated: true) { cursor in
                JSONText.putQuoted(name, &cursor)
                JSONText.put(UInt8(ascii: ":"), &cursor)
                JSONText.putDecimal(value, &cursor)
            }
        }
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { output.append(UInt8(ascii: ",")) }
    }

    private mutating func open(_ bracket: UInt8) {
        write(atMost: 2, separated: true) { JSONText.put(bracket, &$0) }
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        output.append(bracket)
        needsComma = true
    }

    /// Reserves `limit` bytes (one more for the comma when `separated`) and
    /// lets `body` advance a cursor through them; what it wrote is kept.
    /// `body` must never write more than `limit` bytes.
    @inline(__always)
    private mutating func write(atMost limit: Int, separated: Bool,
                                _ body: (inout UnsafeMutablePointer<UInt8>) -> Void) {
        let comma = separated && needsComma
        output.append(addingCapacity: comma ? limit &+ 1 : limit) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                guard let start = buffer.baseAddress else { return }
                var cursor = start
                if comma { JSONText.put(UInt8(ascii: ","), &cursor) }
                body(&cursor)
                initialized = cursor - start
            }
        }
    }
}

/// The inside of a string value under construction (see
/// `JSONWriter.string(composedOf:)`): every piece is escaped on the way in.
public struct JSONStringPieces {
    fileprivate var output: [UInt8] = []

    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(validUTF8: $0) }
    }

    public mutating func append(_ text: Substring) {
        var text = text
        text.withUTF8 { append(validUTF8: $0) }
    }

    /// Bytes that may be ill-formed UTF-8: repaired (U+FFFD) when they are.
    public mutating func append(utf8 bytes: UnsafeRawBufferPointer) {
        let bytes = bytes.bindMemory(to: UInt8.self)
        guard JSONText.isValidUTF8(bytes) else { return append(String(decoding: bytes, as: UTF8.self)) }
        append(validUTF8: bytes)
    }

    public mutating func append(_ value: UInt64) {
        output.append(addingCapacity: 20) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                guard let start = buffer.baseAddress else { return }
                var cursor = start
                JSONText.putDecimal(value, &cursor)
                initialized = cursor - start
            }
        }
    }

    public mutating func append(_ address: IPAddress) {
        output.append(addingCapacity: 39) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                guard let start = buffer.baseAddress else { return }
                var cursor = start
                JSONText.putAddress(address, &cursor)
                initialized = cursor - start
            }
        }
    }

    private mutating func append(validUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        output.append(addingCapacity: JSONText.quotedLimit(bytes)) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                guard let start = buffer.baseAddress else { return }
                var cursor = start
                JSONText.putEscaped(bytes, &cursor)
                initialized = cursor - start
            }
        }
    }
}
