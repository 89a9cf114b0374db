import ScopeDecode

/// Memcached over UDP: every datagram starts with a frame header (request
/// id, sequence number, datagram count). A request is one datagram; its
/// response may span several, which are parsed as they arrive (values are
/// counted, not reassembled) until the response is complete: memcached
/// numbers the datagrams of one write, and may answer a get in several
/// writes each counted "1 of 1" (VALUE…, then END). Pairs by (client,
/// server, request id) in an expiring table, engine-wide like DNS.
final class MemcacheDatagramCorrelator {
    struct Key: Hashable {
        var endpoints: TransactionEndpointsKey
        var requestID: UInt16
    }

    struct Pending {
        var request: MemcacheMessage.Sealed
        var endpoints: TransactionEndpoints
        var responses: MemcacheParser
        var response: MemcacheMessage.Sealed?
        var nextSequence: UInt16 = 0
        var notes: [String] = []
    }

    unowned let context: AnalyzerContext
    private var table: ExpiringTable<Key, Pending>

    init(context: AnalyzerContext) {
        self.context = context
        table = ExpiringTable(datagramRequestsOf: context)
    }

    /// One UDP datagram already attributed to memcache.
    func datagram(_ payload: UnsafeRawBufferPointer, packet: DecodedPacket, timestamp: UInt64) {
        guard let frame = MemcacheUDPFrame(payload) else {
            context.count(.memcache) { $0.parseErrors &+= 1 }
            return
        }
        let body = UnsafeRawBufferPointer(rebasing: payload[MemcacheUDPFrame.size...])
        let toServer = context.ports.lookup(packet.destinationPort, .udp) == .memcache
        let fromServer = context.ports.lookup(packet.sourcePort, .udp) == .memcache
        let fromClient = toServer != fromServer ? toServer : frame.sequence == 0 && Self.isRequest(body)
        let endpoints = TransactionEndpoints(datagram: packet, fromClient: fromClient)
        let key = Key(endpoints: endpoints.key, requestID: frame.requestID)
        if fromClient {
            request(body, key: key, endpoints: endpoints, timestamp: timestamp)
        } else {
            response(body, frame: frame, key: key, endpoints: endpoints, timestamp: timestamp)
        }
    }

    func expire(now: UInt64) {
        let timeout = context.configuration.transactionTimeout
        table.expire(now: now, timeout: timeout) { pending in
            if pending.response == nil && !pending.request.message.quiet { context.count(.memcache) { $0.timeouts &+= 1 } }
            finish(pending, note: "no response within \(timeout / 1_000_000) ms", at: now)
        }
    }

    /// End of input: every request still pending is reported.
    func drain(now: UInt64) {
        table.drain { finish($0, note: "no response before end of capture", at: now) }
    }

    static func isRequest(_ body: UnsafeRawBufferPointer) -> Bool {
        guard let first = body.first else { return false }
        if first == MemcacheBinaryHeader.requestMagic { return true }
        if first == MemcacheBinaryHeader.responseMagic { return false }
        var end = 0
        while end < body.count && end < 64 && body[end] != 0x0D && body[end] != 0x0A { end &+= 1 }
        var words = MemcacheTextLine.Words(UnsafeRawBufferPointer(rebasing: body[..<end]))
        return words.next().map { MemcacheTextLine.requestCommands.contains(MemcacheTextLine.text($0.prefix(32))) } ?? false
    }

    private func request(_ body: UnsafeRawBufferPointer, key: Key, endpoints: TransactionEndpoints, timestamp: UInt64) {
        let configuration = context.configuration
        var parser = MemcacheParser(isRequest: true, limit: configuration.maxHeaderBytes, redact: configuration.redactSecrets,
                                    strict: false)
        let step = parser.advance(body, from: 0, timestamp: timestamp)
        var parsed: MemcacheMessage.Sealed?
        if case .message(let message)? = step.output { parsed = message }
        if parsed == nil { parsed = parser.finish(note: "incomplete in its datagram", timestamp: timestamp) }
        context.count(.memcache) { $0.skippedBytes &+= parser.takeSkipped() }
        guard var message = parsed?.message else {
            context.count(.memcache) { $0.parseErrors &+= 1 }
            return
        }
        message.bytes = UInt64(body.count)
        let request = MemcacheMessage.Sealed(message)
        context.count(.memcache) { $0.requests &+= 1 }
        if message.noreply || message.quiet {
            context.emit(MemcacheTransaction(request: request, response: nil).event(endpoints: endpoints, notes: []))
            return
        }
        let responses = MemcacheParser(isRequest: false, limit: configuration.maxHeaderBytes,
                                       redact: configuration.redactSecrets, strict: false)
        let (replaced, evicted) = table.insert(Pending(request: request, endpoints: endpoints, responses: responses),
                                               for: key, at: timestamp)
        if let replaced { finish(replaced, note: "another request with the same id was sent before a response", at: timestamp) }
        if let evicted {
            context.count(.memcache) { $0.evictions &+= 1 }
            finish(evicted, note: "more than \(table.capacity) requests pending", at: timestamp)
        }
    }

    private func response(_ body: UnsafeRawBufferPointer, frame: MemcacheUDPFrame, key: Key,
                          endpoints: TransactionEndpoints, timestamp: UInt64) {
        guard var pending = table.remove(key) else {
            context.count(.memcache) { $0.unmatchedResponses &+= 1 }
            guard frame.sequence == 0 else { return }
            let configuration = context.configuration
            var parser = MemcacheParser(isRequest: false, limit: configuration.maxHeaderBytes,
                                        redact: configuration.redactSecrets, strict: false)
            var response: MemcacheMessage.Sealed?
            if case .message(let parsed)? = parser.advance(body, from: 0, timestamp: timestamp).output { response = parsed }
            response = response ?? parser.finish(note: "incomplete in its datagram", timestamp: timestamp)
            guard let response else { return }
            context.count(.memcache) { $0.responses &+= 1 }
            context.emit(MemcacheTransaction(request: nil, response: response)
                .event(endpoints: endpoints, notes: ["response without a request"]))
            return
        }
        if frame.sequence != 0 && frame.sequence != pending.nextSequence {
            pending.notes.append("datagram \(pending.nextSequence) of \(frame.total) missing or out of order")
            if case .lost(let partial) = pending.responses.gap(length: Int(Int32.max), timestamp: timestamp), let partial {
                pending.response = pending.response ?? partial
            }
        }
        pending.nextSequence = frame.sequence &+ 1
        var offset = 0
        while offset < body.count {
            let step = pending.responses.advance(body, from: offset, timestamp: timestamp)
            offset &+= step.consumed
            if case .message(let message)? = step.output, pending.response == nil { pending.response = message }
            if step.consumed == 0 && step.output == nil { break }
        }
        context.count(.memcache) { $0.skippedBytes &+= pending.responses.takeSkipped() }
        if pending.response != nil {
            finish(pending, note: nil, at: timestamp)
        } else {
            _ = table.insert(pending, for: key, at: timestamp)
        }
    }

    /// Reports a request with whatever response arrived.
    private func finish(_ pending: Pending, note: String?, at time: UInt64) {
        var pending = pending
        if pending.response == nil {
            pending.response = pending.responses.finish(note: "incomplete: not all datagrams arrived", timestamp: time)
        }
        var notes = pending.notes
        if let response = pending.response {
            context.count(.memcache) {
                $0.responses &+= 1
                $0.matched &+= 1
            }
            context.emit(MemcacheTransaction(request: pending.request, response: response)
                .event(endpoints: pending.endpoints, notes: notes))
            return
        }
        if let note { notes.append(note) }
        context.count(.memcache) { $0.unmatchedRequests &+= 1 }
        context.emit(MemcacheTransaction(request: pending.request, response: nil)
            .event(endpoints: pending.endpoints, notes: notes, end: max(time, pending.request.message.end)))
    }
}
