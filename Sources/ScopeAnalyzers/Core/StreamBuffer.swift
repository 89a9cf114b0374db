/// The one bounded buffer every stream parser uses for the piece of a
/// message that straddles segments: a line (HTTP start line, header, chunk
/// size) or a length-prefixed record (DNS over TCP). When the whole piece is
/// inside the bytes just delivered, nothing is copied; only the straddling
/// remainder is. The buffer never holds more than `limit` bytes: a longer
/// piece is reported as `.overflowed` and skipped (for lines, up to the next
/// LF), so an endless header cannot grow memory.
struct StreamBuffer {
    enum Piece: Equatable {
        /// Not complete yet; everything offered was consumed (and buffered).
        case incomplete
        /// Complete and entirely inside the input: these input bytes.
        case inInput(Range<Int>)
        /// Complete, assembled in the buffer: use `takePending`/`restore`.
        case inPending
        /// Longer than the limit; its bytes were dropped (reported once, as
        /// soon as the limit is passed).
        case overflowed
        /// The LF that ends an overflowed line: the skipping is over.
        case discarded
    }

    struct Scan: Equatable {
        /// Input bytes used up (including the LF of a line).
        var consumed: Int
        var piece: Piece
    }

    let limit: Int
    private(set) var pending: [UInt8] = []
    /// Inside an overflowed line: drop bytes until its LF.
    private var discarding = false
    /// Bytes dropped because of overflows, for the skipped-bytes counters.
    private(set) var droppedBytes: UInt64 = 0

    init(limit: Int) {
        self.limit = limit
    }

    var isEmpty: Bool { pending.isEmpty && !discarding }

    /// The next line from `input[start...]`. The line excludes its LF and a
    /// CR before it (bare LF line ends are accepted, as servers accept them).
    mutating func scanLine(_ input: UnsafeRawBufferPointer, from start: Int) -> Scan {
        let end = Self.lineFeed(in: input, from: start)
        let found = end < input.count
        let consumed = (found ? end &+ 1 : end) &- start
        if discarding {
            droppedBytes &+= UInt64(consumed)
            if found { discarding = false }
            return Scan(consumed: consumed, piece: found ? .discarded : .incomplete)
        }
        if pending.count &+ (end &- start) > limit {
            droppedBytes &+= UInt64(pending.count &+ consumed)
            pending.removeAll(keepingCapacity: true)
            discarding = !found
            return Scan(consumed: consumed, piece: .overflowed)
        }
        guard found else {
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<end]))
            return Scan(consumed: consumed, piece: .incomplete)
        }
        if pending.isEmpty {
            let lineEnd = end > start && input[end &- 1] == 0x0D ? end &- 1 : end
            return Scan(consumed: consumed, piece: .inInput(start..<lineEnd))
        }
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<end]))
        if pending.last == 0x0D { pending.removeLast() }
        return Scan(consumed: consumed, piece: .inPending)
    }

    /// Index of the first LF at or after `start` (`input.count` if none),
    /// eight bytes at a time: lines are most of what the parsers read.
    static func lineFeed(in input: UnsafeRawBufferPointer, from start: Int) -> Int {
        firstIndex(of: 0x0A, in: input, from: start)
    }

    /// Index of the first `byte` at or after `start` (`input.count` if
    /// none), eight bytes at a time.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in input: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let base = input.baseAddress else { return input.count }
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        while index &+ 8 <= input.count {
            // "Has a zero byte" of word ^ pattern; the lowest flagged byte is exact.
            let bytes = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let word = bytes ^ (ones &* UInt64(byte))
            let zero = (word &- ones) & ~word & (ones &* 0x80)
            if zero != 0 { return index &+ zero.trailingZeroBitCount >> 3 }
            index &+= 8
        }
        while index < input.count && input[index] != byte { index &+= 1 }
        return index
    }

    /// Collects until `total` bytes (counting what is already buffered) are
    /// together. `total` must not exceed `limit`.
    mutating func collect(_ input: UnsafeRawBufferPointer, from start: Int, total: Int) -> Scan {
        let wanted = total &- pending.count
        let available = input.count &- start
        if pending.isEmpty && available >= total {
            return Scan(consumed: total, piece: .inInput(start..<(start &+ total)))
        }
        let take = min(wanted, available)
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[start..<(start &+ take)]))
        return Scan(consumed: take, piece: take == wanted ? .inPending : .incomplete)
    }

    /// Moves the assembled piece out (no copy). Hand the array back with
    /// `restore` so its capacity is reused for the next straddling piece.
    mutating func takePending() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &pending)
        return taken
    }

    mutating func restore(_ storage: inout [UInt8]) {
        storage.removeAll(keepingCapacity: true)
        swap(&storage, &pending)
    }

    /// Forgets the partial piece (after a gap); returns how many bytes it held.
    @discardableResult
    mutating func reset() -> Int {
        let count = pending.count
        pending.removeAll(keepingCapacity: pending.capacity <= 4096)
        discarding = false
        return count
    }
}
