@testable import ScopeAnalyzers

/// HTTP/2 frames and HPACK blocks for tests, written out by hand.
enum H2 {
    static let preface = HTTP2Preface.bytes
    static let settings = frame(HTTP2FrameType.settings, 0, 0, [])

    static func frame(_ type: UInt8, _ flags: UInt8, _ stream: UInt32, _ payload: [UInt8], length: Int? = nil) -> [UInt8] {
        let length = length ?? payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    /// A literal field without indexing, literal name (names and values < 127 bytes).
    static func literal(_ name: String, _ value: String) -> [UInt8] {
        [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
    }

    /// A literal field with incremental indexing, literal name.
    static func indexedLiteral(_ name: String, _ value: String) -> [UInt8] {
        [0x40, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
    }

    static func request(_ path: String, method: String = "GET", extra: [UInt8] = []) -> [UInt8] {
        literal(":method", method) + [0x86] + literal(":path", path) + literal(":authority", "example") + extra
    }

    static func status(_ code: Int, extra: [UInt8] = []) -> [UInt8] { literal(":status", String(code)) + extra }

    static func headers(_ stream: UInt32, _ block: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(HTTP2FrameType.headers, HTTP2Flag.endHeaders | (endStream ? HTTP2Flag.endStream : 0), stream, block)
    }

    static func data(_ stream: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> [UInt8] {
        frame(HTTP2FrameType.data, endStream ? HTTP2Flag.endStream : 0, stream, bytes)
    }

    static func rst(_ stream: UInt32, _ code: UInt32) -> [UInt8] {
        frame(HTTP2FrameType.rstStream, 0, stream, [UInt8(code >> 24), UInt8(code >> 16 & 0xFF), UInt8(code >> 8 & 0xFF), UInt8(code & 0xFF)])
    }

    /// A gRPC length-prefixed message.
    static func grpcMessage(_ length: Int, compressed: Bool = false) -> [UInt8] {
        [compressed ? 1 : 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + [UInt8](repeating: 0x2A, count: length)
    }
}

extension TransactionEvent {
    var h2: HTTP2Transaction? { details as? HTTP2Transaction }
}
