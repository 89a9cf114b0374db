import ScopeDecode

/// ICMP and ICMPv6, engine-wide like DNS. Queries (echo; v4 timestamp,
/// information and address-mask requests) pair with their replies by
/// (addresses, type, identifier, sequence) in an expiring table: an
/// unanswered request becomes a "no response" Error event after the
/// transaction timeout; a reply to a request already answered is a
/// duplicate (counted as an unmatched response, reported as an Error).
/// Errors (unreachable, time exceeded, parameter problem, packet too big)
/// (and v4 source quench) are Error events at once, carrying the flow their
/// quoted datagram names. Other messages (neighbour discovery, redirects,
/// router discovery, …) are ignored.
/// Endpoints: client = the sender of the request (or of the error); the
/// ports carry the request's type and code (the community-id convention).
final class ICMPCorrelator {
    struct Key: Hashable {
        var client: IPAddress
        var server: IPAddress
        var requestType: UInt8
        var identifier: UInt16
        var sequence: UInt16

        /// Three words instead of the nine the synthesized hash feeds
        /// (each address is family, high, low): the tables hash a key up to
        /// five times per echo. Equal keys still hash alike; the fields are
        /// folded, not dropped.
        func hash(into hasher: inout Hasher) {
            hasher.combine(client.high ^ (server.high << 29 | server.high >> 35))
            hasher.combine(client.low ^ (server.low << 29 | server.low >> 35))
            let families = UInt64(client.family.rawValue) << 48 | UInt64(server.family.rawValue) << 56
            hasher.combine(families | UInt64(requestType) << 32 | UInt64(identifier) << 16 | UInt64(sequence))
        }
    }

    struct Pending {
        var request: ICMPMessage
        var endpoints: TransactionEndpoints
        var version: UInt8
    }

    unowned let context: AnalyzerContext
    private var table: ExpiringTable<Key, Pending>
    /// Requests answered within the last timeout, to recognise duplicates.
    private var answered: ExpiringTable<Key, Bool>

    init(context: AnalyzerContext) {
        self.context = context
        table = ExpiringTable(datagramRequestsOf: context)
        answered = ExpiringTable(datagramRequestsOf: context)
    }

    func packet(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64) {
        let version: UInt8 = packet.transport == .icmpv6 ? 6 : 4
        let header = packet.icmp
        let start = packet.payloadOffset
        guard start >= 8, packet.payloadLength >= 0, start &+ packet.payloadLength <= bytes.count else { return }
        var message = ICMPMessage(type: header.type, code: header.code, identifier: header.echoIdentifier,
                                  sequence: header.echoSequence, bytes: UInt64(packet.payloadLength &+ 8), time: timestamp)
        if message.identifier == nil, version == 4, [13, 14, 15, 16, 17, 18].contains(header.type) {
            // Same layout as echo: identifier and sequence after the checksum.
            message.identifier = UInt16(bytes[start &- 4]) << 8 | UInt16(bytes[start &- 3])
            message.sequence = UInt16(bytes[start &- 2]) << 8 | UInt16(bytes[start &- 1])
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<(start &+ packet.payloadLength)])
        switch ICMPKind(type: header.type, version: version) {
        case .request:
            request(message, packet: packet, version: version)
        case .reply(let requestType):
            reply(message, requestType: requestType, packet: packet, version: version)
        case .error:
            let original = ICMPQuotedFlow(payload)
            if original == nil { context.count(.icmp) { $0.parseErrors &+= 1 } }
            let note = ICMPNames.message(type: message.type, code: message.code, version: version)
            if let original, let identifier = original.echoIdentifier, let sequence = original.echoSequence,
               let pending = table.remove(Key(client: original.source, server: original.destination,
                                              requestType: version == 6 ? 128 : 8, identifier: identifier, sequence: sequence)) {
                // The error answers a pending echo request: one event, the error as its response.
                context.count(.icmp) { $0.responses &+= 1 }
                emit(ICMPTransaction(version: version, request: pending.request, response: message, original: original),
                     endpoints: pending.endpoints, notes: [note])
            } else {
                // One-way: neither a request nor a response, only an event.
                emit(ICMPTransaction(version: version, request: message, response: nil, original: original),
                     endpoints: endpoints(packet, message: message), notes: [note])
            }
        case .other:
            break
        }
    }

    func expire(now: UInt64) {
        let timeout = context.configuration.transactionTimeout
        table.expire(now: now, timeout: timeout) { pending in
            context.count(.icmp) { $0.timeouts &+= 1 }
            unanswered(pending, note: "no response within \(timeout / 1_000_000) ms", at: now)
        }
        answered.expire(now: now, timeout: timeout) { _ in }
    }

    /// End of input: every request still pending is unanswered.
    func drain(now: UInt64) {
        table.drain { unanswered($0, note: "no response before end of capture", at: now) }
        answered.drain { _ in }
    }

    private func request(_ message: ICMPMessage, packet: DecodedPacket, version: UInt8) {
        context.count(.icmp) { $0.requests &+= 1 }
        let endpoints = endpoints(packet, message: message)
        let key = Key(client: packet.source, server: packet.destination, requestType: message.type,
                      identifier: message.identifier ?? 0, sequence: message.sequence ?? 0)
        let (replaced, evicted) = table.insert(Pending(request: message, endpoints: endpoints, version: version),
                                               for: key, at: message.time)
        if let replaced { unanswered(replaced, note: "sent again before a reply", at: message.time) }
        if let evicted {
            context.count(.icmp) { $0.evictions &+= 1 }
            unanswered(evicted, note: "more than \(table.capacity) requests pending", at: message.time)
        }
    }

    private func reply(_ message: ICMPMessage, requestType: UInt8, packet: DecodedPacket, version: UInt8) {
        context.count(.icmp) { $0.responses &+= 1 }
        let key = Key(client: packet.destination, server: packet.source, requestType: requestType,
                      identifier: message.identifier ?? 0, sequence: message.sequence ?? 0)
        if let pending = table.remove(key) {
            context.count(.icmp) { $0.matched &+= 1 }
            _ = answered.insert(true, for: key, at: message.time)
            emit(ICMPTransaction(version: version, request: pending.request, response: message, original: nil),
                 endpoints: pending.endpoints, notes: [])
            return
        }
        context.count(.icmp) { $0.unmatchedResponses &+= 1 }
        let duplicate = answered.remove(key) != nil
        if duplicate {
            context.count(.icmp) { $0.duplicateReplies &+= 1 }
            _ = answered.insert(true, for: key, at: message.time)
        }
        // Endpoints as the request would have had them: the replier is the server.
        var endpoints = endpoints(packet, message: message)
        swap(&endpoints.client, &endpoints.server)
        endpoints.clientPort = UInt16(requestType)
        endpoints.serverPort = 0
        emit(ICMPTransaction(version: version, request: nil, response: message, original: nil), endpoints: endpoints,
             notes: [duplicate ? "duplicate reply" : "reply without a request"])
    }

    private func unanswered(_ pending: Pending, note: String, at time: UInt64) {
        context.count(.icmp) { $0.unmatchedRequests &+= 1 }
        emit(ICMPTransaction(version: pending.version, request: pending.request, response: nil, original: nil),
             endpoints: pending.endpoints, notes: [note], end: max(time, pending.request.time))
    }

    private func endpoints(_ packet: DecodedPacket, message: ICMPMessage) -> TransactionEndpoints {
        TransactionEndpoints(client: packet.source, clientPort: UInt16(message.type), server: packet.destination,
                             serverPort: UInt16(message.code), transport: .icmp, vlanID: packet.vlanIDs.outer)
    }

    private func emit(_ transaction: ICMPTransaction, endpoints: TransactionEndpoints, notes: [String], end: UInt64? = nil) {
        let start = (transaction.request ?? transaction.response)?.time ?? 0
        let ok = transaction.isMatched && notes.isEmpty
        context.emit(TransactionEvent(
            application: .icmp, endpoints: endpoints, start: start,
            end: end ?? transaction.response?.time ?? start, requestBytes: transaction.request?.bytes ?? 0,
            responseBytes: transaction.response?.bytes ?? 0, status: ok ? .ok : .error, notes: notes,
            details: transaction))
    }
}

/// What a type is for the correlator.
enum ICMPKind: Equatable {
    case request
    /// A reply, with the type of the request it answers.
    case reply(requestType: UInt8)
    case error
    case other

    init(type: UInt8, version: UInt8) {
        if version == 6 {
            switch type {
            case 128: self = .request
            case 129: self = .reply(requestType: 128)
            case 1, 2, 3, 4: self = .error
            default: self = .other
            }
        } else {
            switch type {
            case 8, 13, 15, 17: self = .request
            case 0: self = .reply(requestType: 8)
            case 14, 16, 18: self = .reply(requestType: type &- 1)
            case 3, 4, 11, 12: self = .error
            default: self = .other
            }
        }
    }
}
