import ScopeDecode

/// Memcached on one TCP connection: a parser per direction and a FIFO
/// matcher (the server answers in order, text and binary alike). Text
/// `noreply` requests are reported at once; binary quiet requests wait in
/// the queue, and a later response (by opaque, typically the NOOP ending a
/// pipeline) settles every quiet request queued before it as answered by
/// silence.
final class MemcacheSession: ParsedStreamSession {
    static let proto = ApplicationProtocol.memcache
    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    // Unchecked exclusivity: see AnalyzerContext.
    @exclusivity(unchecked) var parsers: DirectionPair<MemcacheParser>
    @exclusivity(unchecked) private var pending: FIFOMatcher<MemcacheMessage.Sealed>

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
        let configuration = context.configuration
        parsers = DirectionPair(configuration: configuration)
        pending = FIFOMatcher(capacity: configuration.maxPendingPerConnection)
    }

    /// A response held back (a multi-line one cut short) comes out even at the end of the input.
    func holdsMore(fromClient: Bool) -> Bool { !fromClient && parsers.server.hasDeferred }

    func lose(fromClient: Bool, length: Int, timestamp: UInt64) {
        pending.lose(fromClient: fromClient, note: "response lost in a gap of \(length) bytes") {
            unanswered($0, note: $1, at: timestamp)
        }
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        if let response = parsers.server.finish(note: "incomplete at \(reason.phrase)", timestamp: timestamp) {
            take(.message(response), fromClient: false, timestamp: timestamp)
        }
        if let request = parsers.client.finish(note: "incomplete at \(reason.phrase)", timestamp: timestamp) {
            take(.message(request), fromClient: true, timestamp: timestamp)
        }
        pending.drain(closing: reason) { unanswered($0, note: $1, at: timestamp) }
        collectParserCounts()
    }

    func expire(now: UInt64) {
        pending.expireTransactions(now: now, context: context, proto: .memcache) { request, note in
            unanswered(request, note: note, at: now)
            return !request.message.quiet  // a quiet request expects no answer: not a timeout
        }
    }

    func take(_ output: consuming MemcacheParser.Output, fromClient: Bool, timestamp time: UInt64) {
        switch consume output {
        case .failed(let oversized):
            context.count(.memcache) { oversized ? ($0.oversized &+= 1) : ($0.parseErrors &+= 1) }
        case .message(let request) where fromClient:
            context.count(.memcache) { $0.requests &+= 1 }
            if request.message.noreply || (request.message.quiet && !request.message.binary) {
                emit(MemcacheTransaction(request: request, response: nil))
            } else {
                let end = request.message.end
                pending.enqueue(request, at: end, context: context, proto: .memcache) { unanswered($0, note: $1, at: end) }
            }
        case .message(let response):
            context.count(.memcache) { $0.responses &+= 1 }
            // Quiet binary requests before the one this answers succeeded silently.
            while response.message.binary,
                  pending.peek({ $0.message.binary && $0.message.quiet && $0.message.opaque != response.message.opaque }) == true {
                if case .matched(let quiet) = pending.match(responseStart: response.message.start) {
                    emit(MemcacheTransaction(request: quiet, response: nil))
                } else {
                    break
                }
            }
            switch pending.match(responseStart: response.message.start) {
            case .matched(var request):
                context.count(.memcache) { $0.matched &+= 1 }
                let (asked, answered) = (request.message.opaque, response.message.opaque)
                if request.message.binary && response.message.binary && asked != answered {
                    request = request.noting("response opaque \(answered) does not match the request's \(asked)")
                }
                emit(MemcacheTransaction(request: request, response: response))
            case .unmatched:
                context.count(.memcache) { $0.unmatchedResponses &+= 1 }
                emit(MemcacheTransaction(request: nil, response: response), note: "response without a request")
            }
        }
    }

    /// A request given up. Quiet binary requests were answered by silence.
    private func unanswered(_ request: MemcacheMessage.Sealed, note: String, at time: UInt64) {
        if request.message.quiet {
            emit(MemcacheTransaction(request: request, response: nil))
            return
        }
        context.count(.memcache) { $0.unmatchedRequests &+= 1 }
        emit(MemcacheTransaction(request: request, response: nil), note: note, end: max(time, request.message.end))
    }

    private func emit(_ transaction: consuming MemcacheTransaction, note: String? = nil, end: UInt64? = nil) {
        context.emit(transaction.event(endpoints: endpoints, notes: note.map { [$0] } ?? [], end: end))
    }

    func collectParserCounts() {
        let skipped = parsers.client.takeSkipped() &+ parsers.server.takeSkipped()
        let oversized = parsers.client.takeOversized() &+ parsers.server.takeOversized()
        guard skipped > 0 || oversized > 0 else { return }
        context.count(.memcache) {
            $0.skippedBytes &+= skipped
            $0.oversized &+= oversized
        }
    }
}

extension MemcacheParser: StreamParser {
    init(fromClient: Bool, configuration: AnalyzerConfiguration) {
        self.init(isRequest: fromClient, limit: configuration.maxHeaderBytes, redact: configuration.redactSecrets)
    }

    mutating func step(_ bytes: UnsafeRawBufferPointer, from offset: Int, timestamp: UInt64)
        -> (consumed: Int, message: Output?) {
        let step = advance(bytes, from: offset, timestamp: timestamp)
        return (step.consumed, step.output)
    }
}

extension MemcacheParser: GapReportingParser {
    mutating func outputAfterGap(length: Int, timestamp: UInt64) -> StreamGap<Output> {
        gap(length: length, timestamp: timestamp).map(Output.message)
    }
}
