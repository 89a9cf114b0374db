/// The 24-byte header of a binary-protocol packet (magic 0x80 request,
/// 0x81 response), and what its extras say.
struct MemcacheBinaryHeader: Equatable {
    static let size = 24
    static let requestMagic: UInt8 = 0x80
    static let responseMagic: UInt8 = 0x81

    var magic: UInt8
    var opcode: UInt8
    var keyLength: Int
    var extrasLength: Int
    var dataType: UInt8
    /// vbucket id in requests, status in responses.
    var statusOrVBucket: UInt16
    var bodyLength: Int
    var opaque: UInt32
    var cas: UInt64

    var isRequest: Bool { magic == Self.requestMagic }
    var valueLength: Int { bodyLength &- extrasLength &- keyLength }

    /// Reads the header from the first 24 bytes; nil when the lengths do
    /// not add up (the body must hold extras and key).
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.size else { return nil }
        magic = bytes[0]
        opcode = bytes[1]
        keyLength = Int(bytes[2]) << 8 | Int(bytes[3])
        extrasLength = Int(bytes[4])
        dataType = bytes[5]
        statusOrVBucket = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        bodyLength = Int(Self.be32(bytes, 8))
        opaque = Self.be32(bytes, 12)
        cas = UInt64(Self.be32(bytes, 16)) << 32 | UInt64(Self.be32(bytes, 20))
        guard magic == Self.requestMagic || magic == Self.responseMagic,
              extrasLength &+ keyLength <= bodyLength else { return nil }
    }

    /// The checks content detection and resynchronisation rely on, over the
    /// first 16 bytes (the CAS is not needed): a known opcode, data type 0,
    /// lengths that add up, a body under 64 MiB, a known status.
    static func plausible(_ bytes: UnsafeRawBufferPointer, magic: UInt8) -> Bool {
        guard bytes.count >= 16, bytes[0] == magic, MemcacheNames.knownOpcode(bytes[1]), bytes[5] == 0 else { return false }
        let key = Int(bytes[2]) << 8 | Int(bytes[3])
        let body = Int(be32(bytes, 8))
        guard Int(bytes[4]) &+ key <= body, body <= 64 << 20 else { return false }
        if magic == responseMagic { return MemcacheNames.knownStatus(UInt16(bytes[6]) << 8 | UInt16(bytes[7])) }
        return true
    }

    static func be32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    static func be64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(be32(bytes, at)) << 32 | UInt64(be32(bytes, at + 4))
    }
}

extension MemcacheMessage {
    /// The message `header` starts; `extrasAndKey` are the body's first
    /// `extrasLength + keyLength` bytes when they were collected. An
    /// initializer: the message is made where it is stored, not copied there.
    init(_ header: MemcacheBinaryHeader, extrasAndKey: UnsafeRawBufferPointer?) {
        let names = MemcacheNames.opcode(header.opcode)
        self.init(isRequest: header.isRequest, binary: true, command: names.command)
        header.describe(&self, names: names, extrasAndKey: extrasAndKey)
    }
}

extension MemcacheBinaryHeader {
    /// What the header and its extras say, written into `message`.
    fileprivate func describe(_ message: inout MemcacheMessage, names: (name: String, command: String, quiet: Bool),
                              extrasAndKey: UnsafeRawBufferPointer?) {
        message.word = names.name
        message.opcode = opcode
        message.quiet = names.quiet && isRequest
        message.opaque = opaque
        if cas != 0 { message.cas = cas }
        if !isRequest { message.statusCode = statusOrVBucket }
        message.valueBytes = UInt64(max(0, valueLength))
        guard let body = extrasAndKey, body.count >= extrasLength &+ keyLength else { return }
        if keyLength > 0 {
            message.addKey(MemcacheTextLine.text(body[extrasLength..<(extrasLength &+ min(keyLength, 250))]))
        }
        switch (isRequest, opcode, extrasLength) {
        case (true, 0x01...0x03, 8), (true, 0x11...0x13, 8):  // set/add/replace: flags, expiration
            message.flags = Self.be32(body, 0)
            message.exptime = Self.be32(body, 4)
        case (true, 0x05...0x06, 20), (true, 0x15...0x16, 20):  // incr/decr: delta, initial, expiration
            message.delta = Self.be64(body, 0)
            message.exptime = Self.be32(body, 16)
        case (true, 0x1C...0x1E, 4), (true, 0x23...0x24, 4), (true, 0x08, 4), (true, 0x18, 4):
            message.exptime = Self.be32(body, 0)
        case (false, _, 4):  // get family: flags
            message.flags = Self.be32(body, 0)
        default:
            break
        }
    }
}
