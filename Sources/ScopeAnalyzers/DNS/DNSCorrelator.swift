import ScopeDecode

/// Pairs DNS queries with responses across all of an engine's traffic, by
/// (client ip:port, server ip:port, transport, id), in an expiring table: a
/// query unanswered after the transaction timeout becomes a "no response"
/// Error event; a response nobody asked for is an Error event too.
final class DNSCorrelator {
    struct Key: Hashable {
        var endpoints: TransactionEndpointsKey
        var id: UInt16
    }

    /// `TransactionEndpoints` without the VLAN (Hashable, cheap).
    struct TransactionEndpointsKey: Hashable {
        var client: IPAddress
        var clientPort: UInt16
        var server: IPAddress
        var serverPort: UInt16
        var transport: TransactionTransport
    }

    struct Pending {
        var query: DNSMessage
        var endpoints: TransactionEndpoints
    }

    unowned let context: AnalyzerContext
    private var table: ExpiringTable<Key, Pending>

    init(context: AnalyzerContext) {
        self.context = context
        table = ExpiringTable(capacity: context.configuration.maxPendingDNSQueries)
    }

    /// One UDP datagram already attributed to DNS.
    func datagram(_ payload: UnsafeRawBufferPointer, packet: DecodedPacket, timestamp: UInt64) {
        switch DNSParser.parse(payload) {
        case .failure:
            context.count(.dns) { $0.parseErrors &+= 1 }
        case .success(var message):
            message.time = timestamp
            let fromClient = !message.isResponse
            let endpoints = TransactionEndpoints(
                client: fromClient ? packet.source : packet.destination,
                clientPort: fromClient ? packet.sourcePort : packet.destinationPort,
                server: fromClient ? packet.destination : packet.source,
                serverPort: fromClient ? packet.destinationPort : packet.sourcePort,
                transport: .udp, vlanID: packet.vlanIDs.outer)
            handle(message, endpoints: endpoints)
        }
    }

    /// A parsed message from either transport; `endpoints` name the client.
    func handle(_ message: DNSMessage, endpoints: TransactionEndpoints) {
        let key = Key(endpoints: TransactionEndpointsKey(client: endpoints.client, clientPort: endpoints.clientPort,
                                                         server: endpoints.server, serverPort: endpoints.serverPort,
                                                         transport: endpoints.transport), id: message.id)
        if !message.isResponse {
            context.count(.dns) { $0.requests &+= 1 }
            let (replaced, evicted) = table.insert(Pending(query: message, endpoints: endpoints), for: key,
                                                   at: message.time)
            if let replaced {
                unanswered(replaced, note: "another query with the same id was sent before a response",
                           at: message.time)
            }
            if let evicted {
                context.count(.dns) { $0.evictions &+= 1 }
                unanswered(evicted, note: "more than \(table.capacity) queries pending", at: message.time)
            }
            return
        }
        context.count(.dns) { $0.responses &+= 1 }
        if let pending = table.remove(key) {
            context.count(.dns) { $0.matched &+= 1 }
            emit(pending.query, message, endpoints: pending.endpoints, notes: [])
        } else {
            context.count(.dns) { $0.unmatchedResponses &+= 1 }
            emit(nil, message, endpoints: endpoints, notes: ["response without a query"])
        }
    }

    func expire(now: UInt64) {
        let timeout = context.configuration.transactionTimeout
        table.expire(now: now, timeout: timeout) { pending in
            context.count(.dns) { $0.timeouts &+= 1 }
            unanswered(pending, note: "no response within \(timeout / 1_000_000) ms", at: now)
        }
    }

    /// End of input: every query still pending is unanswered.
    func drain(now: UInt64) {
        table.drain { unanswered($0, note: "no response before end of capture", at: now) }
    }

    private func unanswered(_ pending: Pending, note: String, at time: UInt64) {
        context.count(.dns) { $0.unmatchedRequests &+= 1 }
        emit(pending.query, nil, endpoints: pending.endpoints, notes: [note], end: max(time, pending.query.time))
    }

    private func emit(_ query: DNSMessage?, _ response: DNSMessage?, endpoints: TransactionEndpoints,
                      notes: [String], end: UInt64? = nil) {
        var response = response
        if !context.configuration.includeDNSAuthorities { response?.authorities = [] }
        if !context.configuration.includeDNSAdditionals { response?.additionals = [] }
        let ok = query != nil && response?.responseCode == 0
        context.emit(TransactionEvent(
            application: .dns, endpoints: endpoints, start: query?.time ?? response!.time,
            end: end ?? response?.time ?? query!.time, requestBytes: UInt64(query?.size ?? 0),
            responseBytes: UInt64(response?.size ?? 0), status: ok ? .ok : .error, notes: notes,
            details: DNSTransaction(request: query, response: response)))
    }
}
