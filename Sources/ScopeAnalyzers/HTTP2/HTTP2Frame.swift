/// An HTTP/2 frame header (RFC 9113 §4.1) and the names of what frames carry.
struct HTTP2FrameHeader: Equatable {
    var length: Int
    var type: UInt8
    var flags: UInt8
    var stream: UInt32

    static let size = 9
    /// The largest length the 24-bit field can say (16 MiB - 1).
    static let maxLength = (1 << 24) - 1

    init(length: Int, type: UInt8, flags: UInt8, stream: UInt32) {
        self.length = length
        self.type = type
        self.flags = flags
        self.stream = stream
    }

    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        length = Int(bytes[offset]) << 16 | Int(bytes[offset &+ 1]) << 8 | Int(bytes[offset &+ 2])
        type = bytes[offset &+ 3]
        flags = bytes[offset &+ 4]
        stream = (UInt32(bytes[offset &+ 5]) << 24 | UInt32(bytes[offset &+ 6]) << 16
                  | UInt32(bytes[offset &+ 7]) << 8 | UInt32(bytes[offset &+ 8])) & 0x7FFF_FFFF
    }

    var endStream: Bool { flags & HTTP2Flag.endStream != 0 }
    var endHeaders: Bool { flags & HTTP2Flag.endHeaders != 0 }
    var padded: Bool { flags & HTTP2Flag.padded != 0 }

    /// Whether a header could start a frame here, for resynchronisation
    /// (after a gap, or a capture that began mid-connection): a known type
    /// whose length, stream and flags fit it, within `maxFrameSize`.
    func isPlausible(maxFrameSize: Int) -> Bool {
        guard length <= maxFrameSize else { return false }
        switch type {
        case HTTP2FrameType.data: return stream != 0 && flags & ~(HTTP2Flag.endStream | HTTP2Flag.padded) == 0
        case HTTP2FrameType.headers:
            return stream != 0 && flags & ~(HTTP2Flag.endStream | HTTP2Flag.endHeaders | HTTP2Flag.padded | HTTP2Flag.priority) == 0
        case HTTP2FrameType.priority: return stream != 0 && length == 5 && flags == 0
        case HTTP2FrameType.rstStream: return stream != 0 && length == 4 && flags == 0
        case HTTP2FrameType.settings: return stream == 0 && length % 6 == 0 && flags & ~HTTP2Flag.ack == 0
        case HTTP2FrameType.pushPromise: return stream != 0 && length >= 4 && flags & ~(HTTP2Flag.endHeaders | HTTP2Flag.padded) == 0
        case HTTP2FrameType.ping: return stream == 0 && length == 8 && flags & ~HTTP2Flag.ack == 0
        case HTTP2FrameType.goaway: return stream == 0 && length >= 8 && flags == 0
        case HTTP2FrameType.windowUpdate: return length == 4 && flags == 0
        case HTTP2FrameType.continuation: return stream != 0 && flags & ~HTTP2Flag.endHeaders == 0
        default: return false
        }
    }
}

enum HTTP2FrameType {
    static let data: UInt8 = 0
    static let headers: UInt8 = 1
    static let priority: UInt8 = 2
    static let rstStream: UInt8 = 3
    static let settings: UInt8 = 4
    static let pushPromise: UInt8 = 5
    static let ping: UInt8 = 6
    static let goaway: UInt8 = 7
    static let windowUpdate: UInt8 = 8
    static let continuation: UInt8 = 9
}

enum HTTP2Flag {
    static let endStream: UInt8 = 0x1
    static let ack: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4
    static let padded: UInt8 = 0x8
    static let priority: UInt8 = 0x20
}

enum HTTP2Names {
    /// RFC 9113 §7 error codes.
    static func errorCode(_ code: UInt32) -> String {
        switch code {
        case 0x0: "NO_ERROR"
        case 0x1: "PROTOCOL_ERROR"
        case 0x2: "INTERNAL_ERROR"
        case 0x3: "FLOW_CONTROL_ERROR"
        case 0x4: "SETTINGS_TIMEOUT"
        case 0x5: "STREAM_CLOSED"
        case 0x6: "FRAME_SIZE_ERROR"
        case 0x7: "REFUSED_STREAM"
        case 0x8: "CANCEL"
        case 0x9: "COMPRESSION_ERROR"
        case 0xA: "CONNECT_ERROR"
        case 0xB: "ENHANCE_YOUR_CALM"
        case 0xC: "INADEQUATE_SECURITY"
        case 0xD: "HTTP_1_1_REQUIRED"
        default: "0x" + String(code, radix: 16)
        }
    }
}

/// The client's connection preface (RFC 9113 §3.4).
enum HTTP2Preface {
    static let bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// The preface from the client, or the server's first SETTINGS frame
    /// (a server may send it before the client's preface arrives).
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        let common = min(bytes.count, Self.bytes.count)
        if common > 0 && (0..<common).allSatisfy({ bytes[$0] == Self.bytes[$0] }) {
            return common == Self.bytes.count ? .fromClient : .needMore
        }
        guard bytes.count >= HTTP2FrameHeader.size else {
            // A prefix of a SETTINGS frame header: zero length high byte first.
            return bytes.first == 0 ? .needMore : .no
        }
        let header = HTTP2FrameHeader(bytes, at: 0)
        guard header.type == HTTP2FrameType.settings, header.flags == 0, header.stream == 0,
              header.length % 6 == 0, header.length <= 6 * 16, bytes[5] & 0x80 == 0 else { return .no }
        return .fromServer
    }
}
