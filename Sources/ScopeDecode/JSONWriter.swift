/// Minimal streaming JSON writer into a byte buffer. Commas are inserted
/// automatically; strings are escaped per RFC 8259 (quote, backslash and all
/// control characters; everything else passes through as UTF-8).
public struct JSONWriter: Sendable {
    public var output: [UInt8]
    private var needsComma = false

    public init(reservingCapacity capacity: Int = 512) {
        output = []
        output.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        separate()
        output.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        output.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        output.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        output.append(UInt8(ascii: "]"))
        needsComma = true
    }

    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        output.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    /// A string given as UTF-8 bytes (e.g. rendered addresses). ASCII goes
    /// straight through; anything else is validated and ill-formed
    /// sequences become U+FFFD, so the output is always valid JSON.
    public mutating func string(utf8 value: [UInt8]) {
        separate()
        if value.allSatisfy({ $0 < 0x80 }) {
            value.withUnsafeBufferPointer { appendQuoted($0) }
        } else {
            appendQuoted(String(decoding: value, as: UTF8.self))
        }
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

    /// Pre-rendered JSON (a literal array or object) as the next value.
    public mutating func raw(_ json: StaticString) {
        separate()
        json.withUTF8Buffer { output.append(contentsOf: $0) }
        needsComma = true
    }

    public mutating func number(_ value: UInt64) {
        separate()
        appendDecimal(value, to: &output)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        output.append(contentsOf: value ? "true".utf8 : "false".utf8)
        needsComma = true
    }

    public mutating func null() {
        separate()
        output.append(contentsOf: "null".utf8)
        needsComma = true
    }

    /// Convenience: `"name":"value"`.
    public mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: String, _ value: UInt64) {
        key(name)
        number(value)
    }

    private mutating func separate() {
        if needsComma { output.append(UInt8(ascii: ",")) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ value: String) {
        var value = value
        // Native strings are contiguous UTF-8 already: no copy.
        value.withUTF8 { appendQuoted($0) }
    }

    /// Runs of bytes that need no escaping are copied in one go; most
    /// strings are one such run.
    private mutating func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            runStart = index + 1
            appendEscape(byte)
        }
        if runStart < bytes.count { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        output.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ byte: UInt8) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        case 0x09: output.append(UInt8(ascii: "t"))
        case 0x08: output.append(UInt8(ascii: "b"))
        case 0x0C: output.append(UInt8(ascii: "f"))
        default:
            output.append(contentsOf: "u00".utf8)
            output.append(JSONWriter.hex[Int(byte >> 4)])
            output.append(JSONWriter.hex[Int(byte & 0x0F)])
        }
    }
}
