/// What one stream has shown so far, until both sides ended it.
struct HTTP2Stream {
    var request: HTTPMessage
    var response: HTTPMessage
    var requestSeen = false
    var responseSeen = false
    /// Each side sent END_STREAM (or the stream was reset).
    var clientEnded = false
    var serverEnded = false
    var reset: (code: UInt32, byClient: Bool)?
    var pushed = false
    var grpc: GRPCCall?
    var notes: [String] = []
    var windows: HTTP2StreamWindows

    /// The messages and windows have no default values and are set once,
    /// here, inlined into `open` (no defaults built and then replaced).
    @inline(__always)
    init(time: UInt64, windows: HTTP2StreamWindows, fromClient: Bool) {
        request = HTTPMessage(isRequest: true)
        request.version = "2"
        request.start = time
        request.end = time
        response = HTTPMessage(isRequest: false)
        response.version = "2"
        if !fromClient { response.start = time }
        self.windows = windows
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

/// A stream id as the key of a connection's streams. The dictionary asks
/// for its hash on every look-up (several per stream): one multiply and
/// xor-shift mix of the id with the dictionary's seed, as the TCP
/// reassembler's index key does, instead of SipHash over the id (about 1.3k
/// instructions per stream). Equality is the id's.
struct HTTP2StreamID: Hashable, Comparable {
    let id: UInt32

    init(_ id: UInt32) { self.id = id }

    func hash(into hasher: inout Hasher) { hasher.combine(id) }

    func _rawHashValue(seed: Int) -> Int {
        var mixed = (UInt64(id) ^ UInt64(UInt(bitPattern: seed))) &+ 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: mixed ^ (mixed >> 31))
    }

    static func < (lhs: HTTP2StreamID, rhs: HTTP2StreamID) -> Bool { lhs.id < rhs.id }
}

typealias HTTP2Streams = [HTTP2StreamID: HTTP2Stream]

/// Look-ups by the frame's stream id, as on a `[UInt32: HTTP2Stream]`.
extension Dictionary where Key == HTTP2StreamID, Value == HTTP2Stream {
    @inline(__always) func index(forKey id: UInt32) -> Index? { index(forKey: HTTP2StreamID(id)) }

    @inline(__always) mutating func removeValue(forKey id: UInt32) -> HTTP2Stream? { removeValue(forKey: HTTP2StreamID(id)) }

    subscript(id: UInt32) -> HTTP2Stream? {
        get { self[HTTP2StreamID(id)] }
        _modify { yield &self[HTTP2StreamID(id)] }
    }
}
