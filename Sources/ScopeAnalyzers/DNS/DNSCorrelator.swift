import ScopeDecode

/// Pairs DNS queries with responses across all of an engine's traffic, by
/// (client ip:port, server ip:port, transport, id), in an expiring table: a
/// query unanswered after the transaction timeout becomes a "no response"
/// Error event; a response nobody asked for is an Error event too.
///
/// A response may come first: over TCP a query held behind a lost segment
/// reaches us only when the reassembler gives up on the hole, after the
/// answer; captures merged from several queues reorder directions. So a
/// response without a pending query waits in the table, as long as a query
/// would, for its query; only then is it reported alone.
final class DNSCorrelator {
    struct Key: Hashable {
        var endpoints: TransactionEndpointsKey
        var id: UInt16

        func hash(into hasher: inout Hasher) { hasher.combine(mixed(seed: 0)) }

        /// What the table's dictionary asks for (about five times per
        /// transaction): the key's words folded into the dictionary's seed
        /// (random per process) by multiply-rotate steps and one final mix,
        /// instead of SipHash over ten separately combined fields.
        func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: mixed(seed: UInt64(UInt(bitPattern: seed)))) }

        private func mixed(seed: UInt64) -> UInt64 {
            let ends = endpoints
            let small = UInt64(ends.clientPort) | UInt64(ends.serverPort) << 16 | UInt64(id) << 32
                | UInt64(ends.transport.rawValue) << 48 | UInt64(ends.client.family.rawValue) << 56
                | UInt64(ends.server.family.rawValue) << 60
            var state = seed
            @inline(__always) func absorb(_ word: UInt64) {
                state = ((state ^ word) &* 0x9E37_79B9_7F4A_7C15).rotatedLeft27()
            }
            absorb(ends.client.high)
            absorb(ends.client.low)
            absorb(ends.server.high)
            absorb(ends.server.low)
            absorb(small)
            var z = state &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A query waiting for its response, or (`message.isResponse`) a
    /// response waiting for its query. One message, not an optional pair:
    /// the entry is moved into and out of the table's dictionary, and half
    /// of it was always nil.
    struct Pending {
        var message: DNSMessage
        var endpoints: TransactionEndpoints
    }

    unowned let context: AnalyzerContext
    private var table: ExpiringTable<Key, Pending>

    init(context: AnalyzerContext) {
        self.context = context
        table = ExpiringTable(datagramRequestsOf: context)
    }

    /// One UDP datagram already attributed to DNS.
    func datagram(_ payload: UnsafeRawBufferPointer, packet: DecodedPacket, timestamp: UInt64) {
        switch DNSParser.parse(payload) {
        case .failure:
            context.count(.dns) { $0.parseErrors &+= 1 }
        case .success(var message):
            message.time = timestamp
            handle(message, endpoints: TransactionEndpoints(datagram: packet, fromClient: !message.isResponse))
        }
    }

    /// A parsed message from either transport; `endpoints` name the client.
    func handle(_ message: DNSMessage, endpoints: TransactionEndpoints) {
        if message.partial.isSome || message.trailingBytes != 0 {
            context.count(.dns) {
                $0.trailingBytes &+= UInt64(message.trailingBytes)
                if message.partial.isSome { $0.parseErrors &+= 1 }
            }
        }
        let key = Key(endpoints: endpoints.key, id: message.id)
        let held = table.remove(key)
        if !message.isResponse {
            context.count(.dns) { $0.requests &+= 1 }
            if let held, held.message.isResponse {  // its answer came first
                context.count(.dns) { $0.matched &+= 1 }
                emit(message, held.message, endpoints: endpoints, notes: [])
                return
            }
            if let held {
                report(held, note: "another query with the same id was sent before a response", at: message.time)
            }
            hold(Pending(message: message, endpoints: endpoints), key: key, at: message.time)
            return
        }
        context.count(.dns) { $0.responses &+= 1 }
        if let held, !held.message.isResponse {
            context.count(.dns) { $0.matched &+= 1 }
            emit(held.message, message, endpoints: held.endpoints, notes: [])
            return
        }
        if let held { report(held, at: message.time) }  // an earlier response nobody asked for
        hold(Pending(message: message, endpoints: endpoints), key: key, at: message.time)
    }

    private func hold(_ pending: Pending, key: Key, at time: UInt64) {
        if let evicted = table.insert(pending, for: key, at: time).evicted {
            report(evicted, note: "more than \(table.capacity) queries pending", at: time, evicted: true)
        }
    }

    func expire(now: UInt64) {
        let timeout = context.configuration.transactionTimeout
        table.expire(now: now, timeout: timeout) { pending in
            if !pending.message.isResponse { context.count(.dns) { $0.timeouts &+= 1 } }
            report(pending, note: "no response within \(timeout / 1_000_000) ms", at: now)
        }
    }

    /// End of input: every query still pending is unanswered, every
    /// response still waiting had no query.
    func drain(now: UInt64) {
        table.drain { report($0, note: "no response before end of capture", at: now) }
    }

    /// A query that got no response (`note` says why), or a response whose
    /// query never came (its note is always the same).
    private func report(_ pending: Pending, note: String = "", at time: UInt64, evicted: Bool = false) {
        guard !pending.message.isResponse else {
            context.count(.dns) { $0.unmatchedResponses &+= 1 }
            emit(nil, pending.message, endpoints: pending.endpoints, notes: ["response without a query"])
            return
        }
        context.count(.dns) {
            $0.unmatchedRequests &+= 1
            if evicted { $0.evictions &+= 1 }
        }
        emit(pending.message, nil, endpoints: pending.endpoints, notes: [note], end: max(time, pending.message.time))
    }

    /// Consuming: the messages move into the transaction, not copied.
    private func emit(_ query: consuming DNSMessage?, _ response: consuming DNSMessage?,
                      endpoints: TransactionEndpoints, notes: [String], end: UInt64? = nil) {
        var notes = notes
        if let partial = query?.partial { notes.append("query " + partial.note) }
        if let partial = response?.partial { notes.append("response " + partial.note) }
        if !context.configuration.includeDNSAuthorities { response?.authorities = [] }
        if !context.configuration.includeDNSAdditionals { response?.additionals = [] }
        let ok = query.isSome && response?.responseCode == 0
        // Read into locals first: `??` with a consuming parameter in its
        // autoclosure crashes the 6.3 compiler (MoveOnlyTypeEliminator).
        let queryTime = query?.time, responseTime = response?.time
        let start = queryTime ?? responseTime!
        let end = end ?? responseTime ?? queryTime!
        let requestBytes = UInt64(query?.size ?? 0), responseBytes = UInt64(response?.size ?? 0)
        context.emit(TransactionEvent(
            application: .dns, endpoints: endpoints, start: start, end: end, requestBytes: requestBytes,
            responseBytes: responseBytes, status: ok ? .ok : .error, notes: notes,
            details: DNSTransaction(request: query, response: response)))
    }
}

private extension UInt64 {
    @inline(__always) func rotatedLeft27() -> UInt64 { (self << 27) | (self >> 37) }
}
