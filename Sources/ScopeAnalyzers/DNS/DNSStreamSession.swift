import ScopeDecode

/// DNS over TCP (RFC 7766): each message carries a 2-byte length prefix.
/// Messages are assembled in the shared bounded buffer and handed to the
/// engine-wide `DNSCorrelator`, so pairing is the same as over UDP.
///
/// After a gap the side is not given up: the queries and answers behind it
/// are still wanted. A gap inside a message of known length is skipped
/// exactly (that message is lost, the next prefix is where it must be);
/// otherwise the side resynchronises on the next length-prefixed message
/// (`DNSResync`). A message that does not parse also means the framing may
/// be off, so the side looks for the next message start after it too.
final class DNSStreamSession: StreamAnalyzer {
    struct Side {
        var buffer = StreamBuffer(limit: 65_535)
        /// Length of the message being assembled; nil while reading the prefix.
        var expected: Int?
        /// Bytes still to drop of a message a gap cut into.
        var skip = 0
        /// Looking for a message start (after a gap or a broken message).
        var resyncing = false
        /// While resyncing: the last bytes of a delivery, too few to tell
        /// whether a message starts there (at most `DNSResync.window - 1`).
        var tail: [UInt8] = []
    }

    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    private var client = Side()
    private var server = Side()

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {
        if fromClient { consume(bytes, side: &client, fromClient: true, timestamp: timestamp) } else {
            consume(bytes, side: &server, fromClient: false, timestamp: timestamp)
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer, side: inout Side, fromClient: Bool, timestamp: UInt64) {
        var start = 0
        if side.skip > 0 {
            start = min(side.skip, bytes.count)
            side.skip &-= start
            context.count(.dns) { $0.skippedBytes &+= UInt64(start) }
        }
        guard start < bytes.count else { return }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
        guard !side.tail.isEmpty else { return run(rest, side: &side, fromClient: fromClient, timestamp: timestamp) }
        // Rare (only while resynchronising): the held tail and the new bytes in one piece.
        var joined = side.tail
        side.tail = []
        joined.append(contentsOf: rest)
        joined.withUnsafeBytes { run($0, side: &side, fromClient: fromClient, timestamp: timestamp) }
    }

    /// Framing and resynchronising in turn, in a loop (not recursion: a
    /// delivery may hold many broken messages).
    private func run(_ bytes: UnsafeRawBufferPointer, side: inout Side, fromClient: Bool, timestamp: UInt64) {
        var offset = 0
        while offset < bytes.count {
            if side.resyncing {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                let found = DNSResync.findStart(rest, fromClient: fromClient)
                let skipped = found.start ?? rest.count &- found.undecided
                context.count(.dns) { $0.skippedBytes &+= UInt64(skipped) }
                guard let start = found.start else {
                    side.tail = Array(rest.suffix(found.undecided))
                    return
                }
                side.resyncing = false
                offset &+= start
            }
            offset = frame(bytes, from: offset, side: &side, timestamp: timestamp)
        }
    }

    /// In step with the framing: prefixes and messages, one after another,
    /// until the bytes end or a broken message sets `resyncing`. Returns
    /// where it stopped.
    private func frame(_ bytes: UnsafeRawBufferPointer, from start: Int, side: inout Side, timestamp: UInt64) -> Int {
        var offset = start
        while offset < bytes.count && !side.resyncing {
            let total = side.expected ?? 2
            let scan = side.buffer.collect(bytes, from: offset, total: total)
            offset &+= scan.consumed
            switch scan.piece {
            case .inInput(let range):
                complete(UnsafeRawBufferPointer(rebasing: bytes[range]), side: &side, timestamp: timestamp)
            case .inPending:
                var piece = side.buffer.takePending()
                piece.withUnsafeBytes { complete($0, side: &side, timestamp: timestamp) }
                side.buffer.restore(&piece)
            default:
                return bytes.count
            }
        }
        return offset
    }

    private func complete(_ piece: UnsafeRawBufferPointer, side: inout Side, timestamp: UInt64) {
        guard side.expected != nil else {
            let length = Int(piece[0]) << 8 | Int(piece[1])
            if length > 0 { side.expected = length }
            return
        }
        side.expected = nil
        switch DNSParser.parse(piece) {
        case .success(var message):
            message.time = timestamp
            context.dns.handle(message, endpoints: endpoints)
        case .failure:
            context.count(.dns) { $0.parseErrors &+= 1 }
            side.resyncing = true
        }
    }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        context.count(.dns) {
            $0.gaps &+= 1
            $0.gapBytes &+= UInt64(length)
        }
        if fromClient { lose(length, side: &client) } else { lose(length, side: &server) }
    }

    private func lose(_ length: Int, side: inout Side) {
        let held = side.buffer.reset() &+ side.tail.count
        side.tail = []
        context.count(.dns) { $0.skippedBytes &+= UInt64(held) }
        if side.skip > 0 && length <= side.skip {  // still inside the message being skipped
            side.skip &-= length
            context.count(.dns) { $0.gapsAbsorbed &+= 1 }
            return
        }
        // The message being read (its length known) is lost either way; when
        // the gap ends inside it, the next prefix is right after it.
        if let expected = side.expected, !side.resyncing, side.skip == 0, length <= expected &- held {
            side.skip = expected &- held &- length
            side.expected = nil
            context.count(.dns) { $0.gapsAbsorbed &+= 1 }
            return
        }
        side.expected = nil
        side.skip = 0
        side.resyncing = true
    }

    /// Unanswered queries stay in the correlator and time out there.
    func close(reason: StreamCloseReason, timestamp: UInt64) {
        let held = client.tail.count &+ server.tail.count
        if held > 0 { context.count(.dns) { $0.skippedBytes &+= UInt64(held) } }
    }

    func expire(now: UInt64) {}
}
