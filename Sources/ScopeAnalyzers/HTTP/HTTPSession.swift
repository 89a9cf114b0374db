import ScopeDecode

/// HTTP/1.x on one TCP connection: a request parser, a response parser and
/// a FIFO matcher (keep-alive and pipelining pair in order). Interim 1xx
/// responses are dropped; a response that arrives while its request is
/// still being sent (417, 401 during an upload) pairs with that request.
final class HTTPSession: StreamAnalyzer {
    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    // Unchecked exclusivity: see AnalyzerContext.
    @exclusivity(unchecked) private(set) var parsers: DirectionPair<HTTPMessageParser>
    @exclusivity(unchecked) private(set) var pending: FIFOMatcher<HTTPMessage>
    /// The request still being received was already answered early.
    @exclusivity(unchecked) private var inProgressAnswered = false
    /// A request upgraded to h2c by the 101 just handled: HTTP/2 takes the
    /// connection over from the end of that 101 (`StreamHandOver`).
    @exclusivity(unchecked) private var upgraded: HTTPUpgrade?

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
        let settings = HTTPMessageParser.Settings(context.configuration)
        parsers = DirectionPair { HTTPMessageParser(isRequest: $0, configuration: settings) }
        pending = FIFOMatcher(capacity: context.configuration.maxPendingPerConnection)
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {
        // The method of the request the next response answers (HEAD and
        // CONNECT change its framing): looked up again only once a message
        // was handled, as only that changes it.
        var method = fromClient ? nil : answeredMethod
        var simple = !fromClient && answersSimpleRequest
        // Written out rather than through parseMessages: with the response
        // parser's extra arguments in a closure, its advance was no longer
        // inlined (callgrind: +0.2 % of a whole read).
        var offset = 0
        while offset < bytes.count {
            let step = fromClient ? parsers.client.advance(bytes, from: offset, timestamp: timestamp)
                                  : parsers.server.advance(bytes, from: offset, timestamp: timestamp,
                                                           requestMethod: method, answersSimpleRequest: simple)
            offset &+= step.consumed
            if let output = step.output {
                handle(output, fromClient: fromClient)
                if let upgrade = upgraded.take() {
                    if handOver(upgrade, at: offset) { break }
                }
                if !fromClient {
                    method = answeredMethod
                    simple = answersSimpleRequest
                }
            }
            if step.consumed == 0 && step.output == nil { break }  // cannot happen; never spin
        }
        collectSkipped()
    }

    /// Gives the connection to HTTP/2 from `offset` on, with the upgraded
    /// request; when HTTP/2 is not enabled, the 101 is reported as before.
    private func handOver(_ upgrade: HTTPUpgrade, at offset: Int) -> Bool {
        guard context.handOver(to: .http2, at: offset, seed: upgrade) else {
            emit(request: upgrade.request, response: upgrade.response)
            return false
        }
        // Requests queued behind the upgraded one were sent before the 101 came: never answered in HTTP/1.
        let end = upgrade.response.end
        pending.drain { unanswered($0, note: "sent before the connection was upgraded to h2c", at: end) }
        collectSkipped()
        return true
    }

    private var answeredMethod: String? { pending.peek { $0.method } ?? parsers.client.inProgress?.method }
    /// The next response answers an HTTP/0.9 request: no status line comes.
    private var answersSimpleRequest: Bool { pending.peek { $0.version == "0.9" } ?? false }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        context.settleGap(parsers[fromClient].gap(length: length, timestamp: timestamp), .http, length: length) {
            handle($0, fromClient: fromClient)
        } lose: {
            pending.lose(fromClient: fromClient, note: "response lost in a gap of \(length) bytes") {
                unanswered($0, note: $1, at: timestamp)
            }
        }
        collectSkipped()
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        if let response = parsers.server.finish(reason: reason.phrase) { handle(response, fromClient: false) }
        if let request = parsers.client.finish(reason: reason.phrase) { handle(request, fromClient: true) }
        pending.drain(closing: reason) { unanswered($0, note: $1, at: timestamp) }
        collectSkipped()
    }

    /// Requests do not time out while their connection is open: a slow
    /// answer still comes in order on it, and reporting the request at the
    /// timeout would split one transaction into "no response" plus
    /// "response without a request". The connection's close (FIN, RST, the
    /// reassembler's idle timeout, end of input) reports what stays
    /// unanswered; a response after the timeout is paired and counted late.
    func expire(now: UInt64) {}

    private func handle(_ output: HTTPMessageParser.Output, fromClient: Bool) {
        switch output {
        case .failed(let oversized):
            context.count(.http) { oversized ? ($0.oversized &+= 1) : ($0.parseErrors &+= 1) }
        case .message:
            let message = parsers[fromClient].takeMessage()
            if message.bodyError { context.count(.http) { $0.parseErrors &+= 1 } }
            handle(message, fromClient: fromClient)
        case .preface:
            // HTTP/2 (prior knowledge) on an HTTP port: nothing here is HTTP/1
            // any more. The HTTP/2 analyzer will take it once it exists.
            parsers.server.enterState(.tunnel)
        }
    }

    private func handle(_ message: consuming HTTPMessage, fromClient: Bool) {
        if fromClient {
            context.count(.http) { $0.requests &+= 1 }
            if inProgressAnswered {
                inProgressAnswered = false  // its transaction was emitted with the early response
                return
            }
            let end = message.end
            pending.enqueue(message, at: end, context: context, proto: .http) { unanswered($0, note: $1, at: end) }
        } else {
            let response = consume message
            context.count(.http) { $0.responses &+= 1 }
            if response.isInterim {
                context.count(.http) { $0.interimResponses &+= 1 }
                return
            }
            switch pending.match(responseStart: response.start) {
            case .matched(let request):
                if response.statusCode == 101 && request.upgradesToH2C && response.upgradesToH2C {
                    upgraded = HTTPUpgrade(request: request, response: response)
                    return
                }
                let timeout = context.configuration.transactionTimeout
                if response.start > request.end && response.start &- request.end >= timeout {
                    context.count(.http) { $0.lateResponses &+= 1 }
                    return emit(request: request, response: response,
                                note: "response after the \(timeout / 1_000_000) ms transaction timeout")
                }
                emit(request: request, response: response)
            case .unmatched:
                if !inProgressAnswered, let early = parsers.client.inProgress {
                    inProgressAnswered = true
                    var request = early
                    request.notes.append("answered before the request was complete")
                    request.end = response.start
                    emit(request: request, response: response)
                } else {
                    context.count(.http) { $0.unmatchedResponses &+= 1 }
                    emit(request: nil, response: response, note: "response without a request")
                }
            }
        }
    }

    private func unanswered(_ request: HTTPMessage, note: String, at time: UInt64) {
        context.count(.http) { $0.unmatchedRequests &+= 1 }
        emit(request: request, response: nil, note: note, end: max(time, request.end))
    }

    /// Consumes the messages: they move into the event's details.
    private func emit(request: consuming HTTPMessage?, response: consuming HTTPMessage?, note: String? = nil,
                      end: UInt64? = nil) {
        if request != nil && response != nil { context.count(.http) { $0.matched &+= 1 } }
        var notes = request?.notes ?? []
        if let more = response?.notes, !more.isEmpty { notes += more }
        if let note { notes.append(note) }
        let failed = request == nil || response == nil || (response?.statusCode ?? 0) >= 400
            || request?.complete == false || response?.complete == false
        let start = request?.start ?? response?.start ?? 0
        let last = end ?? response?.end ?? request?.end ?? start
        let requestBytes = request?.bytes ?? 0, responseBytes = response?.bytes ?? 0
        // Consumed into the event: a temporary here was copied into the
        // event's box and then destroyed (callgrind: 1.2 k per transaction).
        let details = HTTPTransaction(request: request, response: response)
        context.emit(TransactionEvent(
            application: .http, endpoints: endpoints, start: start, end: last, requestBytes: requestBytes,
            responseBytes: responseBytes, status: failed ? .error : .ok, notes: notes, details: consume details))
    }

    private func collectSkipped() {
        context.collectSkipped(.http, &parsers.client.skippedBytes, &parsers.server.skippedBytes)
    }
}
