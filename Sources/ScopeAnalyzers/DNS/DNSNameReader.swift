/// Reads (possibly compressed) domain names. Compression pointers may only
/// be followed `maxJumps` times and the expanded name may not exceed 255
/// octets (RFC 1035 §3.1), so a pointer loop or a pointer chain cannot make
/// the parser spin or build an unbounded string.
enum DNSNameReader {
    static let maxJumps = 64
    static let maxNameLength = 255

    /// The name at `offset` and the offset right after it in the message
    /// (after the first pointer, if any); nil when malformed.
    static func read(_ message: UnsafeRawBufferPointer, at offset: Int) -> (name: String, next: Int)? {
        // At most 254 label bytes, each escaped to at most 4: the text is
        // built in a temporary buffer and becomes one String at the end.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxTextLength) { text in
            read(message, at: offset, into: text)
        }
    }

    /// Escaped text of a longest name: 254 bytes of labels and dots, 4 bytes each at most.
    static let maxTextLength = 4 * (maxNameLength - 1)

    private static func read(_ message: UnsafeRawBufferPointer, at offset: Int,
                             into text: UnsafeMutableBufferPointer<UInt8>) -> (name: String, next: Int)? {
        var written = 0
        var cursor = offset
        var next: Int?
        var jumps = 0
        var wireLength = 1  // the root label
        while true {
            guard cursor < message.count else { return nil }
            let length = Int(message[cursor])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    let name = written == 0 ? "." : String(decoding: UnsafeBufferPointer(start: text.baseAddress, count: written), as: UTF8.self)
                    return (name, next ?? cursor &+ 1)
                }
                wireLength &+= length &+ 1
                guard wireLength <= maxNameLength, cursor &+ 1 &+ length <= message.count else { return nil }
                if written > 0 {
                    text[written] = UInt8(ascii: ".")
                    written &+= 1
                }
                for byte in message[(cursor &+ 1)..<(cursor &+ 1 &+ length)] { appendEscaped(byte, to: text, at: &written) }
                cursor &+= 1 &+ length
            case 0xC0:
                guard cursor &+ 1 < message.count, jumps < maxJumps else { return nil }
                jumps &+= 1
                if next == nil { next = cursor &+ 2 }
                cursor = (length & 0x3F) << 8 | Int(message[cursor &+ 1])
            default:
                return nil  // 0x40 / 0x80: extended label types, obsolete
            }
        }
    }

    /// `appendEscaped` into a buffer the caller sized (`maxTextLength`).
    @inline(__always)
    private static func appendEscaped(_ byte: UInt8, to text: UnsafeMutableBufferPointer<UInt8>, at written: inout Int) {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"):
            text[written] = UInt8(ascii: "\\")
            text[written &+ 1] = byte
            written &+= 2
        case 0x21...0x7E:
            text[written] = byte
            written &+= 1
        default:
            text[written] = UInt8(ascii: "\\")
            text[written &+ 1] = UInt8(ascii: "0") &+ byte / 100
            text[written &+ 2] = UInt8(ascii: "0") &+ byte / 10 % 10
            text[written &+ 3] = UInt8(ascii: "0") &+ byte % 10
            written &+= 4
        }
    }

    /// Presentation escaping (RFC 4343): "." and "\" escaped, unprintable
    /// bytes as \DDD.
    static func appendEscaped(_ byte: UInt8, to text: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"):
            text.append(UInt8(ascii: "\\"))
            text.append(byte)
        case 0x21...0x7E:
            text.append(byte)
        default:
            text.append(UInt8(ascii: "\\"))
            text.append(UInt8(ascii: "0") &+ byte / 100)
            text.append(UInt8(ascii: "0") &+ byte / 10 % 10)
            text.append(UInt8(ascii: "0") &+ byte % 10)
        }
    }
}
