/// Reassembly state of one direction of one connection.
///
/// Sequence numbers are only ever compared through `distance(to:)`: the
/// signed 32-bit difference from `nextSequence` (serial-number arithmetic,
/// RFC 1982), so a stream crossing 2^32 needs no special case. Invariant:
/// every buffered segment starts strictly after `nextSequence` (anything
/// that became contiguous has been delivered) and buffered segments never
/// overlap one another.
struct TCPDirectionState {
    /// `nextSequence` is meaningful (a SYN or the first segment was seen).
    var started = false
    /// Sequence number of the next byte to deliver.
    var nextSequence: UInt32 = 0
    var synSeen = false
    var initialSequence: UInt32 = 0
    /// A FIN was received; it occupies `finSequence`.
    var finSeen = false
    var finSequence: UInt32 = 0
    /// Everything up to the FIN was delivered (or given up as a gap).
    var finished = false
    /// First (lowest) buffered segment in `SegmentPool.segments`, or -1.
    var head: Int32 = -1
    var bufferedBytes = 0
    var bufferedSegments = 0
    /// On the reassembler's waiting list (has a hole), since `holeSince`.
    var waiting = false
    var holeSince: UInt64 = 0

    /// Bytes from `nextSequence` to `sequence`: > 0 ahead, < 0 already delivered.
    @inline(__always)
    func distance(to sequence: UInt32) -> Int {
        Int(Int32(bitPattern: sequence &- nextSequence))
    }

    /// Delivery is blocked: data or a FIN is waiting beyond missing bytes.
    var hasHole: Bool { head >= 0 || (finSeen && !finished) }

    mutating func start(at sequence: UInt32) {
        started = true
        nextSequence = sequence
    }
}

/// One out-of-order piece of payload, copied out of its packet.
struct BufferedSegment {
    var sequence: UInt32 = 0
    /// Next segment of the same direction (higher sequence), or -1.
    var next: Int32 = -1
    /// Capture time of the packet it came from.
    var timestamp: UInt64 = 0
    var bytes: [UInt8] = []
}

/// Out-of-order segments of all connections: a slab of descriptors (made
/// as first needed, up to the global segment cap) chained into one sorted
/// list per direction. Only the payload copies are allocated, and only for
/// segments that arrive ahead of a hole.
struct SegmentPool {
    var segments: [BufferedSegment] = []
    private var free: [Int32] = []
    private let capacity: Int
    /// Payload bytes held, all directions.
    private(set) var bytes = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var available: Int { free.count &+ (capacity &- segments.count) }
    var used: Int { segments.count &- free.count }

    /// A free descriptor: a released one, else a new one below the cap.
    private mutating func takeDescriptor() -> Int32? {
        if let index = free.popLast() { return index }
        guard segments.count < capacity else { return nil }
        segments.append(BufferedSegment())
        return Int32(segments.count &- 1)
    }

    /// What storing `start..<end` (relative to `nextSequence`) in `direction`
    /// would add once the parts already buffered are trimmed (first arrival
    /// wins): new bytes and the number of pieces (descriptors) needed.
    func measure(_ start: Int, _ end: Int, in direction: TCPDirectionState) -> (bytes: Int, pieces: Int) {
        var bytes = 0
        var pieces = 0
        walkUncovered(start, end, in: direction) { pieceStart, pieceEnd, _, _ in
            bytes &+= pieceEnd &- pieceStart
            pieces &+= 1
        }
        return (bytes, pieces)
    }

    /// Copies the parts of `payload` (which starts `start` bytes after
    /// `nextSequence`) not already buffered into `direction`'s list. The
    /// caller checked with `measure` that enough descriptors are free.
    mutating func insert(_ payload: UnsafeRawBufferPointer, at start: Int, into direction: inout TCPDirectionState,
                         timestamp: UInt64) {
        // Collect first, link after: the walk reads the list being changed.
        // Pieces are separated by existing segments, so each has its own
        // `previous` and linking one never moves another's neighbours.
        var pieces: [(start: Int, end: Int, previous: Int32, next: Int32)] = []
        walkUncovered(start, start &+ payload.count, in: direction) { pieces.append(($0, $1, $2, $3)) }
        for piece in pieces {
            guard let index = takeDescriptor() else { return }
            let slice = UnsafeRawBufferPointer(rebasing: payload[(piece.start &- start)..<(piece.end &- start)])
            if piece.previous >= 0 {
                segments[Int(piece.previous)].next = index
            } else {
                direction.head = index
            }
            segments[Int(index)] = BufferedSegment(
                sequence: direction.nextSequence &+ UInt32(truncatingIfNeeded: piece.start), next: piece.next,
                timestamp: timestamp, bytes: Array(slice))
            direction.bufferedBytes &+= slice.count
            direction.bufferedSegments &+= 1
            bytes &+= slice.count
        }
    }

    /// Calls `body(pieceStart, pieceEnd, previous, next)` for each run of
    /// `start..<end` not covered by a buffered segment, in order; the run
    /// belongs between segments `previous` and `next` (-1 = list end).
    private func walkUncovered(_ start: Int, _ end: Int, in direction: TCPDirectionState,
                               _ body: (Int, Int, Int32, Int32) -> Void) {
        var cursor = start
        var previous: Int32 = -1
        var current = direction.head
        while cursor < end {
            var pieceEnd = end
            if current >= 0 {
                let segmentStart = direction.distance(to: segments[Int(current)].sequence)
                let segmentEnd = segmentStart &+ segments[Int(current)].bytes.count
                if segmentStart <= cursor {
                    cursor = max(cursor, segmentEnd)
                    previous = current
                    current = segments[Int(current)].next
                    continue
                }
                pieceEnd = min(end, segmentStart)
            }
            body(cursor, pieceEnd, previous, current)
            cursor = pieceEnd
        }
    }

    /// Unlinks and returns `direction`'s first segment (the list must not be empty).
    mutating func popHead(of direction: inout TCPDirectionState) -> BufferedSegment {
        let index = direction.head
        var segment = BufferedSegment()
        swap(&segment, &segments[Int(index)])  // moves the bytes out without copying them
        direction.head = segment.next
        direction.bufferedBytes &-= segment.bytes.count
        direction.bufferedSegments &-= 1
        bytes &-= segment.bytes.count
        free.append(index)
        return segment
    }

    /// Frees all of `direction`'s segments, undelivered.
    mutating func dropAll(of direction: inout TCPDirectionState) {
        while direction.head >= 0 { _ = popHead(of: &direction) }
    }

    /// Sequence number just past `direction`'s last buffered byte, or nil.
    func bufferedEnd(of direction: TCPDirectionState) -> UInt32? {
        var current = direction.head
        var end: UInt32?
        while current >= 0 {
            end = segments[Int(current)].sequence &+ UInt32(truncatingIfNeeded: segments[Int(current)].bytes.count)
            current = segments[Int(current)].next
        }
        return end
    }
}
