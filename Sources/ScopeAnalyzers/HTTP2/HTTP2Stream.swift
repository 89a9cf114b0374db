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

    /// Builds a new stream in `slot`, field by field where it lies: a
    /// stream built as a value and then stored was copied into the slot
    /// (an outlined copy, then the destroy of the value: about 1.3k
    /// instructions per stream). Every stored property is set here.
    @inline(__always)
    static func initialize(_ slot: UnsafeMutablePointer<HTTP2Stream>, time: UInt64, windows: HTTP2StreamWindows, fromClient: Bool) {
        let request = field(\.request, in: slot), response = field(\.response, in: slot)
        request.initialize(to: HTTPMessage(isRequest: true))
        request.pointee.version = "2"
        request.pointee.start = time
        request.pointee.end = time
        response.initialize(to: HTTPMessage(isRequest: false))
        response.pointee.version = "2"
        if !fromClient { response.pointee.start = time }
        field(\.requestSeen, in: slot).initialize(to: false)
        field(\.responseSeen, in: slot).initialize(to: false)
        field(\.clientEnded, in: slot).initialize(to: false)
        field(\.serverEnded, in: slot).initialize(to: false)
        field(\.reset, in: slot).initialize(to: nil)
        field(\.pushed, in: slot).initialize(to: false)
        field(\.grpc, in: slot).initialize(to: nil)
        field(\.notes, in: slot).initialize(to: [])
        field(\.windows, in: slot).initialize(to: windows)
    }

    var finished: Bool { reset != nil || (clientEnded && serverEnded) }

    /// A field of the stream in `slot`, by address: for moving the stream's
    /// parts out one by one (`HTTP2Session.report`).
    @inline(__always)
    static func field<Field>(_ path: KeyPath<HTTP2Stream, Field>, in slot: UnsafeMutablePointer<HTTP2Stream>)
        -> UnsafeMutablePointer<Field> {
        (UnsafeMutableRawPointer(slot) + MemoryLayout<HTTP2Stream>.offset(of: path)!).assumingMemoryBound(to: Field.self)
    }
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

/// A connection's open streams by id. Each stream lives in memory of its
/// own (a slot, recycled), and the dictionary maps ids to slots: a stream
/// is changed in place through its slot, from its first header block to
/// its report, and never moves in or out of the dictionary's storage (a
/// `[id: HTTP2Stream]` copied the whole stream on insert and moved it out
/// and back for each header block: about 2.3k instructions per stream).
/// A removed stream is moved out of its slot, never copied.
final class HTTP2StreamTable {
    typealias Slot = UnsafeMutablePointer<HTTP2Stream>

    // Unchecked exclusivity: see AnalyzerContext (one session, one thread).
    @exclusivity(unchecked) private var slots: [HTTP2StreamID: Slot] = [:]
    /// Slots of finished streams, uninitialised, for the next ones.
    @exclusivity(unchecked) private var spare: [Slot] = []
    private static let spareLimit = 32

    init() {}

    deinit {
        for slot in slots.values {
            slot.deinitialize(count: 1)
            slot.deallocate()
        }
        for slot in spare { slot.deallocate() }
    }

    var count: Int { slots.count }
    var isEmpty: Bool { slots.isEmpty }

    /// The open stream `id`'s slot: valid until the stream is removed.
    @inline(__always)
    func slot(_ id: UInt32) -> Slot? { slots[HTTP2StreamID(id)] }

    @inline(__always)
    func contains(_ id: UInt32) -> Bool { slots.index(forKey: HTTP2StreamID(id)) != nil }

    /// Opens `id` (a stream already open under that id is replaced); the
    /// stream is built in its slot.
    func open(_ id: UInt32, time: UInt64, windows: HTTP2StreamWindows, fromClient: Bool) {
        let key = HTTP2StreamID(id)
        let slot: Slot
        if let open = slots[key] {
            open.deinitialize(count: 1)
            slot = open
        } else {
            slot = spare.popLast() ?? Slot.allocate(capacity: 1)
            slots[key] = slot
        }
        HTTP2Stream.initialize(slot, time: time, windows: windows, fromClient: fromClient)
    }

    /// Takes stream `id` out of the table, still in its slot: `body` must
    /// leave the slot uninitialised (move the stream out, or its parts as
    /// `HTTP2Session.report` does); the slot is then reused. False when
    /// `id` is not open.
    @discardableResult
    func remove(_ id: UInt32, _ body: (Slot) -> Void) -> Bool {
        guard let slot = slots.removeValue(forKey: HTTP2StreamID(id)) else { return false }
        body(slot)
        if spare.count < Self.spareLimit { spare.append(slot) } else { slot.deallocate() }
        return true
    }

    /// The open ids, in no particular order.
    var ids: [UInt32] { slots.keys.map(\.id) }

    /// Every open stream's slot, to change in place (no stream may be
    /// opened or removed meanwhile).
    func forEach(_ body: (Slot) -> Void) {
        for slot in slots.values { body(slot) }
    }
}
