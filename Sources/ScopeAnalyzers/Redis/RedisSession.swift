import ScopeDecode

/// Redis on one TCP connection: a RESP parser per direction and a FIFO
/// matcher (pipelining and MULTI/EXEC pair in order: each queued command
/// with its +QUEUED, EXEC with the array). What the server sends unasked
/// is not paired but emitted as a push event (`redis.push`): RESP3 `>`
/// frames, RESP2 `message`/`pmessage`/`smessage` arrays on a subscribed
/// connection, the extra confirmations of a SUBSCRIBE naming several
/// channels, and MONITOR lines. Commands sent under CLIENT REPLY OFF/SKIP
/// get no reply; they are emitted at once instead of waiting for one.
final class RedisSession: StreamAnalyzer {
    private enum ReplyMode { case on, off, skipNext }

    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    // Unchecked exclusivity: see AnalyzerContext.
    @exclusivity(unchecked) private(set) var parsers: DirectionPair<RedisParser>
    @exclusivity(unchecked) private(set) var pending: FIFOMatcher<RedisCommand>
    /// RESP2 subscribed state: arrays of pub/sub kinds are pushes.
    @exclusivity(unchecked) private var subscribed = false
    /// HELLO 3 succeeded or a `>` was seen: pushes announce themselves.
    @exclusivity(unchecked) private var resp3 = false
    @exclusivity(unchecked) private var monitoring = false
    @exclusivity(unchecked) private var replyMode = ReplyMode.on

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
        parsers = DirectionPair(configuration: context.configuration)
        pending = FIFOMatcher(capacity: context.configuration.maxPendingPerConnection)
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {
        parseMessages(bytes.count) { offset in
            let step = parsers.step(fromClient: fromClient, bytes, from: offset, timestamp: timestamp)
            if fromClient ? parsers.client.lostFraming : parsers.server.lostFraming { framingLost(fromClient: fromClient) }
            return step
        } handle: { message in
            if fromClient { handleRequest(message) } else { handleReply(message) }
        }
        collectTallies()
    }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        context.settleGap(parsers[fromClient].gap(length: length, timestamp: timestamp), .redis, length: length) {
            partial in
            if fromClient {
                guard !partial.elements.isEmpty else { return }
                context.count(.redis) { $0.requests &+= 1 }
                var command = RedisCommand(partial, redactSecrets: context.configuration.redactSecrets)
                command.notes.append("request cut by a gap of \(length) bytes")
                unanswered(command, note: nil, at: timestamp)
            } else {
                context.count(.redis) { $0.skippedBytes &+= partial.bytes }
            }
        } lose: {
            pending.lose(fromClient: fromClient, note: "response lost in a gap of \(length) bytes") {
                unanswered($0, note: $1, at: timestamp)
            }
            // Replies already on their way belong to requests given up above:
            // the next one pairs only if it began after the next request.
            if !fromClient { pending.requestGap() }
        }
        collectTallies()
    }

    /// A message could not be parsed: treated like a gap of unknown size,
    /// so nothing after it is paired on the assumption that nothing is
    /// missing (the parser does not report garbage before the server's
    /// first reply: that is a mid-stream start, nothing is lost).
    private func framingLost(fromClient: Bool) {
        if fromClient {
            parsers.client.lostFraming = false
            pending.requestGap()
        } else {
            parsers.server.lostFraming = false
            pending.responseGap { unanswered($0, note: "reply could not be parsed", at: $0.end) }
            pending.requestGap()
        }
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        pending.drain(closing: reason) { unanswered($0, note: $1, at: timestamp) }
        collectTallies()
    }

    func expire(now: UInt64) {
        pending.expireTransactions(now: now, context: context, proto: .redis) {
            unanswered($0, note: $1, at: now)
            return true
        }
    }

    // MARK: - Messages

    private func handleRequest(_ message: RedisMessage) {
        guard message.elementCount > 0 && !message.rendered.elementsEqual("nil".utf8) else {
            // "*0" / "*-1": the server reads nothing and answers nothing.
            context.count(.redis) { $0.skippedBytes &+= message.bytes }
            return
        }
        context.count(.redis) { $0.requests &+= 1 }
        let command = RedisCommand(message, redactSecrets: context.configuration.redactSecrets)
        if let silence = silencedReason(command) {
            emit(command: command, reply: nil, push: nil, notes: [silence], failed: false, end: command.end)
            return
        }
        let end = command.end
        pending.enqueue(command, at: end, context: context, proto: .redis) { unanswered($0, note: $1, at: end) }
    }

    /// Why no reply will come for this command (CLIENT REPLY OFF/SKIP);
    /// updates the mode for the commands after it.
    private func silencedReason(_ command: RedisCommand) -> String? {
        let mode = replyMode
        switch command.clientReply {
        case "ON": replyMode = .on
        case "OFF": replyMode = .off
        case "SKIP": replyMode = mode == .off ? .off : .skipNext
        default: if mode == .skipNext { replyMode = .on }
        }
        let silent = switch command.clientReply {
        case "ON": false
        case "OFF", "SKIP": true
        default: mode != .on
        }
        return silent ? "no reply expected (CLIENT REPLY)" : nil
    }

    private func handleReply(_ message: RedisMessage) {
        context.count(.redis) { $0.responses &+= 1 }
        if message.isPush { resp3 = true }
        if isPush(message) {
            trackSubscriptions(message)
            let push = RedisPush(message, monitor: monitoring && message.type == UInt8(ascii: "+"))
            emit(command: nil, reply: RedisReply(message, redacted: false), push: push, notes: [], failed: false,
                 end: message.end)
            return
        }
        switch pending.match(responseStart: message.start) {
        case .matched(let command):
            trackSubscriptions(message)
            trackModes(command, message)
            let reply = RedisReply(message, redacted: command.redactsReply)
            emit(command: command, reply: reply, push: nil, notes: [], failed: reply.isError, end: reply.end)
        case .unmatched:
            context.count(.redis) { $0.unmatchedResponses &+= 1 }
            emit(command: nil, reply: RedisReply(message, redacted: false), push: nil,
                 notes: ["response without a request"], failed: true, end: message.end)
        }
    }

    private func isPush(_ message: RedisMessage) -> Bool {
        if monitoring && message.type == UInt8(ascii: "+"), let first = message.rendered.first {
            return first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")  // "+1700000000.123 [0 ...] ..."
        }
        guard let kind = message.kind,
              message.isPush || (subscribed && !resp3 && message.type == UInt8(ascii: "*")) else { return false }
        if RedisCommand.subscriptionKinds.contains(kind) {
            // The reply to the pending (un)subscribe, or one more confirmation of it.
            return pending.peek { $0.name.lowercased() } != kind
        }
        return message.isPush || RedisCommand.messageKinds.contains(kind)
    }

    private func trackSubscriptions(_ message: RedisMessage) {
        guard let kind = message.kind, RedisCommand.subscriptionKinds.contains(kind),
              message.elements.count >= 3, let count = Int(message.elements[2]) else { return }
        subscribed = count > 0
    }

    private func trackModes(_ command: RedisCommand, _ reply: RedisMessage) {
        guard !reply.isError else { return }
        switch command.name {
        case "MONITOR": monitoring = true
        case "HELLO": resp3 = command.subcommand == "3" || (resp3 && command.subcommand == nil)
        case "RESET":
            monitoring = false
            subscribed = false
            resp3 = false
        default: break
        }
    }

    // MARK: - Events

    private func unanswered(_ command: RedisCommand, note: String?, at time: UInt64) {
        context.count(.redis) { $0.unmatchedRequests &+= 1 }
        emit(command: command, reply: nil, push: nil, notes: note.map { [$0] } ?? [], failed: true,
             end: max(time, command.end))
    }

    /// Consumes its parts: they move into the event's details.
    private func emit(command: consuming RedisCommand?, reply: consuming RedisReply?, push: consuming RedisPush?,
                      notes: [String], failed: Bool, end: UInt64) {
        if command != nil && reply != nil { context.count(.redis) { $0.matched &+= 1 } }
        var allNotes = command?.notes ?? []
        if let more = reply?.notes, !more.isEmpty { allNotes += more }
        if !notes.isEmpty { allNotes += notes }
        let start = command?.start ?? reply?.start ?? end
        let requestBytes = command?.bytes ?? 0, responseBytes = reply?.bytes ?? 0
        context.emit(TransactionEvent(
            application: .redis, endpoints: endpoints, start: start, end: end, requestBytes: requestBytes,
            responseBytes: responseBytes, status: failed ? .error : .ok, notes: allNotes,
            details: RedisTransaction(command: command, reply: reply, push: push)))
    }

    private func collectTallies() {
        let skipped = parsers.client.skippedBytes &+ parsers.server.skippedBytes
        let errors = parsers.client.parseErrors &+ parsers.server.parseErrors
        let oversized = parsers.client.oversized &+ parsers.server.oversized
        guard skipped > 0 || errors > 0 || oversized > 0 else { return }
        parsers.client.clearTallies()
        parsers.server.clearTallies()
        context.count(.redis) {
            $0.skippedBytes &+= skipped
            $0.parseErrors &+= errors
            $0.oversized &+= oversized
        }
    }
}

extension RedisParser: StreamParser {
    init(fromClient: Bool, configuration: AnalyzerConfiguration) {
        self.init(isRequest: fromClient, configuration: configuration)
    }

    mutating func step(_ bytes: UnsafeRawBufferPointer, from offset: Int, timestamp: UInt64)
        -> (consumed: Int, message: RedisMessage?) {
        var step = advance(bytes, from: offset, timestamp: timestamp)
        return (step.consumed, step.message.take())  // moved on, not copied
    }
}
