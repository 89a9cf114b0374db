import ScopeDecode

/// MySQL (and MariaDB) on one TCP connection: a framer per direction, the
/// connection phase (greeting, handshake response, auth exchange: tracked
/// for capabilities, never reported), then the command phase: commands are
/// queued in a FIFOMatcher (clients may pipeline) and the response parser
/// reads each answer as its command dictates. Commands the server never
/// answers (QUIT, STMT_CLOSE, STMT_SEND_LONG_DATA) are reported when sent.
final class MySQLSession: StreamAnalyzer {
    enum Phase: Equatable {
        /// Nothing seen yet: the greeting, or a command if the capture began mid-connection.
        case start
        case login
        case command
        /// TLS or a replication stream: the rest is counted, not parsed.
        case opaque
    }

    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    // Unchecked exclusivity: see AnalyzerContext (the dynamic checks were
    // 6 % of a MySQL run).
    @exclusivity(unchecked) var phase = Phase.start
    @exclusivity(unchecked) private(set) var clientFramer: MySQLFramer
    @exclusivity(unchecked) private(set) var serverFramer: MySQLFramer
    @exclusivity(unchecked) var responses = MySQLResponseParser()
    @exclusivity(unchecked) private(set) var pending: FIFOMatcher<MySQLRequest>
    @exclusivity(unchecked) private(set) var statements: MySQLStatements
    @exclusivity(unchecked) var serverCapabilities: UInt32?
    /// The handshake response, kept until the server accepts or refuses it.
    @exclusivity(unchecked) var loginAttempt: MySQLRequest?
    @exclusivity(unchecked) var handshakeSeen = false
    /// Each side's standing against packet boundaries (start, gaps).
    @exclusivity(unchecked) private(set) var clientSync = MySQLResync(fromClient: true)
    @exclusivity(unchecked) private(set) var serverSync = MySQLResync(fromClient: false)
    /// Client packets inside an exchange (LOCAL INFILE data, auth data of CHANGE_USER).
    @exclusivity(unchecked) private var followUpBytes: UInt64 = 0

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
        clientFramer = MySQLFramer(limit: context.configuration.maxMessageSize)
        serverFramer = MySQLFramer(limit: context.configuration.maxMessageSize)
        pending = FIFOMatcher(capacity: context.configuration.maxPendingPerConnection)
        statements = MySQLStatements(capacity: context.configuration.maxPendingPerConnection)
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {
        guard phase != .opaque else { return skip(bytes.count) }
        let atStart = phase != .command  // greeting and log-in packets are message starts too
        let verdict = fromClient ? clientSync.admit(bytes, connectionStart: atStart)
                                 : serverSync.admit(bytes, connectionStart: atStart)
        switch verdict {
        case .hold: return
        case .skip(let count): return skip(count)
        case .parse(let held):
            if !held.isEmpty { held.withUnsafeBytes { parse($0, fromClient: fromClient, at: timestamp) } }
            parse(bytes, fromClient: fromClient, at: timestamp)
        }
    }

    /// Bytes of a side that is in step with the packets.
    private func parse(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, at timestamp: UInt64) {
        guard phase != .opaque else { return skip(bytes.count) }
        var offset = 0
        while offset < bytes.count {
            let step = fromClient ? clientFramer.next(bytes, from: offset, timestamp: timestamp)
                                  : serverFramer.next(bytes, from: offset, timestamp: timestamp)
            offset &+= step.consumed
            if let frame = step.frame {
                if frame.truncated { context.count(.mysql) { $0.oversized &+= 1 } }
                switch frame.location {
                case .input(let range):
                    handle(UnsafeRawBufferPointer(rebasing: bytes[range]), frame, fromClient: fromClient, at: timestamp)
                case .assembled:
                    var storage = fromClient ? clientFramer.takeAssembled() : serverFramer.takeAssembled()
                    storage.withUnsafeBytes { handle($0, frame, fromClient: fromClient, at: timestamp) }
                    if fromClient { clientFramer.restore(&storage) } else { serverFramer.restore(&storage) }
                }
                if phase == .opaque { return skip(bytes.count &- offset) }
            } else if step.consumed == 0 {
                break  // cannot happen; never spin
            }
        }
    }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        context.countGap(.mysql, length: length)
        guard phase != .opaque else { return }
        if phase != .command { phase = .command }  // the rest of the log-in is unknowable
        if fromClient {
            skip(clientFramer.reset() &+ clientSync.lose())
        } else {
            skip(serverFramer.reset() &+ serverSync.lose())
            if let partial = responses.abandon() {
                completed(partial, note: "response incomplete: \(length) bytes lost in a gap")
            }
        }
        pending.lose(fromClient: fromClient, note: "response lost in a gap of \(length) bytes") {
            unanswered($0, note: $1, at: timestamp)
        }
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        if let partial = responses.abandon() {
            completed(partial, note: "response incomplete at \(reason.phrase)")
        }
        pending.drain(closing: reason) { unanswered($0, note: $1, at: timestamp) }
    }

    func expire(now: UInt64) {
        pending.expireTransactions(now: now, context: context, proto: .mysql) {
            unanswered($0, note: $1, at: now)
            return true
        }
    }

    // MARK: - Packets

    private func handle(_ payload: UnsafeRawBufferPointer, _ frame: MySQLFramer.Frame, fromClient: Bool, at time: UInt64) {
        if fromClient {
            switch phase {
            case .start where frame.sequence == 1, .login where !handshakeSeen && frame.sequence != 0:
                handshakeResponse(payload, frame, at: time)
            case .start, .login, .command:
                if frame.sequence == 0 {
                    phase = .command
                    command(payload, frame, at: time)
                } else if phase == .command {
                    followUpBytes &+= UInt64(frame.wireBytes)  // file contents, CHANGE_USER auth: never parsed
                }
            case .opaque:
                break
            }
            return
        }
        switch phase {
        case .start:
            if frame.sequence == 0, let greeting = MySQLPackets.greeting(payload) {
                serverCapabilities = greeting.capabilities
                phase = .login
            } else {
                phase = .command
                response(payload, frame, at: time)
            }
        case .login:
            loggingIn(payload, frame, at: time)
        case .command:
            response(payload, frame, at: time)
        case .opaque:
            break
        }
    }

    private func command(_ payload: UnsafeRawBufferPointer, _ frame: MySQLFramer.Frame, at time: UInt64) {
        context.count(.mysql) { $0.requests &+= 1 }
        let request = MySQLRequest(payload: payload, frame: frame, end: time, queryLimit: context.configuration.maxMessageSize,
                                   statements: &statements)
        if request.command == .changeUser || request.command == .resetConnection { statements.removeAll() }
        if request.command.hasNoResponse {
            emit(request: request, response: nil)
        } else if request.command.startsStream {
            var reported = request
            reported.notes.append("replication stream follows; not analysed")
            emit(request: reported, response: nil)
            phase = .opaque
        } else {
            pending.enqueue(request, at: time, context: context, proto: .mysql) { unanswered($0, note: $1, at: time) }
        }
    }

    private func response(_ payload: UnsafeRawBufferPointer, _ frame: MySQLFramer.Frame, at time: UInt64) {
        // At most twice: a packet that ends one response by starting the next is fed again.
        // The command is looked at in place: `pending.first` copies the whole request out.
        for _ in 0..<2 {
            switch responses.feed(payload, frame: frame, end: time, command: pending.peek(\.command)) {
            case .more:
                return
            case .complete(let done):
                return completed(done)
            case .completeBefore(let done):
                completed(done)
            }
        }
    }

    private func completed(_ response: MySQLResponse, note: String? = nil) {
        context.count(.mysql) { $0.responses &+= 1 }
        switch pending.match(responseStart: response.start) {
        case .matched(let request):
            if request.command == .stmtPrepare, let id = response.statementID, !response.isError {
                statements.prepared(id, MySQLStatement(query: request.query, paramCount: response.paramCount))
            }
            emit(request: request, response: response, note: note)
        case .unmatched:
            context.count(.mysql) { $0.unmatchedResponses &+= 1 }
            emit(request: nil, response: response, note: note ?? "response without a request")
        }
    }

    private func unanswered(_ request: MySQLRequest, note: String, at time: UInt64) {
        context.count(.mysql) { $0.unmatchedRequests &+= 1 }
        emit(request: request, response: nil, note: note, end: max(time, request.end))
    }

    func emit(request: consuming MySQLRequest?, response: consuming MySQLResponse?, note: String? = nil,
              end: UInt64? = nil) {
        // Everything the event needs from the messages is read before they
        // move into the transaction's box (consumed: not copied).
        var notes = (request?.notes ?? []) + (response?.notes ?? [])
        if let note { notes.append(note) }
        var requestBytes = request?.bytes ?? 0
        if request != nil {
            requestBytes &+= followUpBytes
            followUpBytes = 0
        }
        // Into locals first: `??` with a consuming parameter in its
        // autoclosure crashes the 6.3 compiler (MoveOnlyTypeEliminator).
        let requestStart = request?.start, requestEnd = request?.end
        let responseStart = response?.start, responseEnd = response?.end
        let start = requestStart ?? responseStart ?? 0
        let end = end ?? responseEnd ?? requestEnd ?? 0
        let responseBytes = response?.bytes ?? 0
        let responseFailed = response?.isError == true || response?.complete == false
        let transaction = MySQLTransaction(request: request, response: response)
        if transaction.isMatched { context.count(.mysql) { $0.matched &+= 1 } }
        let failed = !transaction.isMatched || responseFailed
        context.emit(TransactionEvent(
            application: .mysql, endpoints: endpoints, start: start, end: end, requestBytes: requestBytes,
            responseBytes: responseBytes, status: failed ? .error : .ok, notes: notes, details: transaction))
    }

    private func skip(_ count: Int) {
        guard count > 0 else { return }
        context.count(.mysql) { $0.skippedBytes &+= UInt64(count) }
    }
}
