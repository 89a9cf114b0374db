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
        appendQuoted(name.utf8)
        output.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value.utf8)
        needsComma = true
    }

    /// A string given as UTF-8 bytes (e.g. rendered addresses). ASCII goes
    /// straight through; anything else is validated and ill-formed
    /// sequences become U+FFFD, so the output is always valid JSON.
    public mutating func string(utf8 value: [UInt8]) {
        separate()
        if value.allSatisfy({ $0 < 0x80 }) {
            appendQuoted(value)
        } else {
            appendQuoted(String(decoding: value, as: UTF8.self).utf8)
        }
        needsComma = true
    }

    public mutating func number(_ value: UInt64) {
        separate()
        appendDecimal(value, to: &output)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        output.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        needsComma = true
    }

    public mutating func null() {
        separate()
        output.append(contentsOf: Array("null".utf8))
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

    private mutating func appendQuoted<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        output.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(JSONWriter.hex[Int(byte >> 4)])
                output.append(JSONWriter.hex[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
