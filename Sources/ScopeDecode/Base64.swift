/// Standard base64 (RFC 4648 §4, with '=' padding), written into a byte buffer.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func append(_ input: [UInt8], to output: inout [UInt8]) {
        var index = 0
        while index + 3 <= input.count {
            let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            appendSextets(group, count: 4, to: &output)
            index += 3
        }
        switch input.count - index {
        case 1:
            appendSextets(UInt32(input[index]) << 16, count: 2, to: &output)
            output.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        case 2:
            appendSextets(UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8, count: 3, to: &output)
            output.append(UInt8(ascii: "="))
        default:
            break
        }
    }

    public static func encode(_ input: [UInt8]) -> String {
        var output: [UInt8] = []
        append(input, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The first `count` 6-bit groups of the 24-bit value in `group`.
    private static func appendSextets(_ group: UInt32, count: Int, to output: inout [UInt8]) {
        for position in 0..<count {
            output.append(alphabet[Int((group >> UInt32(18 - 6 * position)) & 0x3F)])
        }
    }
}
