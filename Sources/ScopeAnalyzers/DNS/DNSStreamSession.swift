import ScopeDecode

/// DNS over TCP (RFC 7766): each message carries a 2-byte length prefix.
/// Messages are assembled in the shared bounded buffer and handed to the
/// engine-wide `DNSCorrelator`, so pairing is the same as over UDP. After a
/// gap the framing of that side cannot be recovered (a length prefix looks
/// like any two bytes), so the side is dropped, as Packetbeat does.
final class DNSStreamSession: StreamAnalyzer {
    private struct Side {
        var buffer = StreamBuffer(limit: 65_535)
        /// Length of the message being assembled; nil while reading the prefix.
        var expected: Int?
        var dropped = false
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
        if fromClient { consume(bytes, side: &client, timestamp: timestamp) } else {
            consume(bytes, side: &server, timestamp: timestamp)
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer, side: inout Side, timestamp: UInt64) {
        guard !side.dropped else {
            context.count(.dns) { $0.skippedBytes &+= UInt64(bytes.count) }
            return
        }
        var offset = 0
        while offset < bytes.count {
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
                return
            }
        }
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
        }
    }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        context.count(.dns) {
            $0.gaps &+= 1
            $0.gapBytes &+= UInt64(length)
        }
        if fromClient { drop(&client) } else { drop(&server) }
    }

    private func drop(_ side: inout Side) {
        let held = side.buffer.reset()
        context.count(.dns) { $0.skippedBytes &+= UInt64(held) }
        side.expected = nil
        side.dropped = true
    }

    /// Unanswered queries stay in the correlator and time out there.
    func close(reason: StreamCloseReason, timestamp: UInt64) {}

    func expire(now: UInt64) {}
}

/// Content detection for DNS: a header that makes sense (known opcode, zero
/// Z bit, exactly one question, a query carrying no answers) and, for whole
/// datagrams, a message that parses to its last byte.
enum DNSDetection {
    static func plausibleHeader(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> ContentMatch {
        guard bytes.count >= offset &+ 12 else { return .needMore }
        let flags = DNSParser.u16(bytes, offset &+ 2)
        let opcode = flags >> 11 & 0xF
        let isResponse = flags & 0x8000 != 0
        guard [0, 1, 2, 4, 5].contains(opcode), flags & 0x0040 == 0, DNSParser.u16(bytes, offset &+ 4) == 1 else {
            return .no
        }
        if !isResponse && opcode == 0 && (DNSParser.u16(bytes, offset &+ 6) != 0 || DNSParser.u16(bytes, offset &+ 8) != 0) {
            return .no
        }
        return isResponse ? .fromServer : .fromClient
    }

    static func matchDatagram(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        let header = plausibleHeader(bytes, at: 0)
        guard header == .fromClient || header == .fromServer, case .success = DNSParser.parse(bytes) else { return .no }
        return header
    }

    static func matchStream(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard bytes.count >= 2 else { return .needMore }
        guard Int(bytes[0]) << 8 | Int(bytes[1]) >= 17 else { return .no }  // header + smallest question
        return plausibleHeader(bytes, at: 2)
    }
}
