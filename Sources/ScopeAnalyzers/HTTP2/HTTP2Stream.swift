/// What one stream has shown so far, until both sides ended it.
struct HTTP2Stream {
    var request = HTTPMessage(isRequest: true)
    var response = HTTPMessage(isRequest: false)
    var requestSeen = false
    var responseSeen = false
    /// Each side sent END_STREAM (or the stream was reset).
    var clientEnded = false
    var serverEnded = false
    var reset: (code: UInt32, byClient: Bool)?
    var pushed = false
    var grpc: GRPCCall?
    var notes: [String] = []
    var windows = HTTP2StreamWindows()

    init(time: UInt64) {
        request.version = "2"
        response.version = "2"
        request.start = time
        request.end = time
    }

    var finished: Bool { reset != nil || (clientEnded && serverEnded) }

    /// `finished`, read in place through a dictionary's `values[index]`
    /// (mutating: a plain read there copies the whole stream out first).
    mutating func isFinished() -> Bool { finished }

    /// One side's flow-control window, read in place the same way (DATA
    /// frames read it per frame).
    mutating func side(_ fromClient: Bool) -> HTTP2StreamWindows.Side { windows.sides[fromClient] }
}

/// Header names the session looks at, told apart by length first.
enum HTTP2HeaderName {
    /// Names of 4 bytes or more (all those looked at) are compared as two
    /// overlapping words, the first and the last 4 or 8 bytes.
    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        let expected = UnsafeRawPointer(name.utf8Start)
        guard count >= 4, let base = bytes.baseAddress else {
            for index in 0..<count where bytes[index] != expected.load(fromByteOffset: index, as: UInt8.self) { return false }
            return true
        }
        if count >= 8 {
            return base.loadUnaligned(as: UInt64.self) == expected.loadUnaligned(as: UInt64.self)
                && base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
                    == expected.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        }
        return base.loadUnaligned(as: UInt32.self) == expected.loadUnaligned(as: UInt32.self)
            && base.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
                == expected.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
    }

    static func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
}
