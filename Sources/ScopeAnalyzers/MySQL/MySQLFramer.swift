/// Splits one direction of a MySQL connection into payloads. Every packet
/// is a 3-byte little-endian length and a sequence id; a packet of exactly
/// 0xFFFFFF bytes continues in the next one, so a payload over 16 MiB spans
/// several packets. A payload inside one delivery is handed out in place
/// (no copy); a straddling one is assembled, at most `limit` bytes of it:
/// the rest is counted and skipped, and the frame says it was truncated.
struct MySQLFramer {
    struct Frame {
        /// Sequence id of the first packet.
        var sequence: UInt8
        /// Payload length over all continuation packets.
        var length: Int
        /// Bytes on the wire, headers included.
        var wireBytes: Int
        /// More than `limit` bytes: only the first `limit` are kept.
        var truncated: Bool
        /// When its first byte arrived.
        var start: UInt64
        var location: Location
    }

    enum Location: Equatable {
        /// These bytes of the input just delivered.
        case input(Range<Int>)
        /// In the assembly buffer: `takeAssembled` / `restore`.
        case assembled
    }

    static let continuationLength = 0xFF_FFFF

    let limit: Int
    private var assembly: [UInt8] = []
    private var headerCount = 0
    private var headerValue: UInt32 = 0
    /// A payload has started (its header or a continuation packet was read).
    private var inMessage = false
    private var inPayload = false
    private var packetRemaining = 0
    private var continues = false
    private var sequence: UInt8 = 0
    private var length = 0
    private var wireBytes = 0
    private var truncated = false
    private var start: UInt64 = 0
    /// Bytes of the unfinished payload consumed so far (for gap accounting).
    private var received = 0

    init(limit: Int) {
        self.limit = max(16, limit)
    }

    /// Memory held for straddling payloads (never much over `limit`).
    var heldCapacity: Int { assembly.capacity }

    /// Nothing of an unfinished packet is held.
    var isIdle: Bool { !inMessage && headerCount == 0 }

    /// Reads from `input[offset...]` until one payload is complete (returned)
    /// or the input is used up.
    mutating func next(_ input: UnsafeRawBufferPointer, from offset: Int, timestamp: UInt64) -> (consumed: Int, frame: Frame?) {
        var position = offset
        if isIdle && input.count &- position >= 4 {
            let length = Int(input[position]) | Int(input[position &+ 1]) << 8 | Int(input[position &+ 2]) << 16
            let body = position &+ 4
            if length < Self.continuationLength && length <= limit && input.count &- body >= length {
                let frame = Frame(sequence: input[position &+ 3], length: length, wireBytes: length &+ 4,
                                  truncated: false, start: timestamp, location: .input(body..<(body &+ length)))
                return (length &+ 4, frame)
            }
        }
        while position < input.count {
            if !inPayload {
                while headerCount < 4 && position < input.count {
                    headerValue |= UInt32(input[position]) << (8 &* UInt32(headerCount))
                    headerCount &+= 1
                    position &+= 1
                }
                guard headerCount == 4 else { break }
                beginPacket(length: Int(headerValue & 0xFF_FFFF), sequence: UInt8(headerValue >> 24), at: timestamp)
            }
            let take = min(packetRemaining, input.count &- position)
            let keep = min(take, max(0, limit &- assembly.count))
            if keep > 0 { assembly.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[position..<(position &+ keep)])) }
            if take > keep { truncated = true }
            position &+= take
            packetRemaining &-= take
            guard packetRemaining == 0 else { break }
            inPayload = false
            if continues { continue }
            inMessage = false
            received = 0
            let frame = Frame(sequence: sequence, length: length, wireBytes: wireBytes, truncated: truncated,
                              start: start, location: .assembled)
            return (position &- offset, frame)
        }
        received &+= position &- offset
        return (position &- offset, nil)
    }

    private mutating func beginPacket(length packetLength: Int, sequence packetSequence: UInt8, at timestamp: UInt64) {
        headerCount = 0
        headerValue = 0
        if !inMessage {
            inMessage = true
            sequence = packetSequence
            length = 0
            wireBytes = 0
            truncated = false
            start = timestamp
            assembly.removeAll(keepingCapacity: assembly.capacity <= 65_536)
        }
        length &+= packetLength
        wireBytes &+= packetLength &+ 4
        packetRemaining = packetLength
        continues = packetLength == Self.continuationLength
        inPayload = true
    }

    /// Moves the assembled payload out (no copy); hand it back with `restore`.
    mutating func takeAssembled() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &assembly)
        return taken
    }

    mutating func restore(_ storage: inout [UInt8]) {
        if storage.capacity <= 65_536 {
            storage.removeAll(keepingCapacity: true)
            swap(&storage, &assembly)
        }
    }

    /// Forgets any partial packet (after a gap); returns the bytes it held.
    @discardableResult
    mutating func reset() -> Int {
        let held = received
        received = 0
        assembly.removeAll(keepingCapacity: assembly.capacity <= 65_536)
        headerCount = 0
        headerValue = 0
        inMessage = false
        inPayload = false
        packetRemaining = 0
        continues = false
        return held
    }
}
