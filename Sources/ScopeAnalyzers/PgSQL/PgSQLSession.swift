import ScopeDecode

/// PostgreSQL (protocol v3) on one TCP connection: a frame parser per side,
/// a FIFO of the client messages the server will answer (`PgSQLOperation`),
/// the prepared statements and portals by name (so an Execute knows its
/// text), and the request whose results are arriving. Startup, SSL and
/// authentication are framed and passed over; passwords are never read.
final class PgSQLSession: ParsedStreamSession {
    static let proto = ApplicationProtocol.pgsql
    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    // Unchecked exclusivity: see AnalyzerContext.
    @exclusivity(unchecked) var parsers: DirectionPair<PgSQLFrameParser>
    @exclusivity(unchecked) var pending: FIFOMatcher<PgSQLOperation>
    /// Statement text by prepared-statement name and by portal name ("" is
    /// the unnamed one): at most `maxPendingPerConnection` names each, and
    /// `maxMessageSize` bytes of text (portals share the statements' strings).
    @exclusivity(unchecked) private(set) var statements: PgSQLNames
    @exclusivity(unchecked) private(set) var portals: PgSQLNames
    /// Parse/Bind/Describe bytes since the last Execute: part of the next one.
    @exclusivity(unchecked) private var carriedRequest: (bytes: UInt64, start: UInt64?) = (0, nil)
    @exclusivity(unchecked) var active: PgSQLActiveRequest?
    /// Columns a Describe announced, for the Execute that follows it.
    @exclusivity(unchecked) var describedFields: UInt64?
    /// Server bytes since the last result or ReadyForQuery: part of the next result.
    @exclusivity(unchecked) var carriedResponse: (bytes: UInt64, start: UInt64?) = (0, nil)
    /// An ErrorResponse hit the current Sync group: the server skips to the Sync.
    @exclusivity(unchecked) var groupFailed = false

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
        let limit = context.configuration.maxMessageSize
        parsers = DirectionPair(configuration: context.configuration)
        pending = FIFOMatcher(capacity: context.configuration.maxPendingPerConnection)
        statements = PgSQLNames(maxNames: context.configuration.maxPendingPerConnection, maxTextBytes: limit)
        portals = PgSQLNames(maxNames: context.configuration.maxPendingPerConnection, maxTextBytes: .max)
    }

    func lose(fromClient: Bool, length: Int, timestamp: UInt64) {
        lost(fromClient: fromClient, note: "lost in a gap of \(length) bytes", at: timestamp)
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        if active != nil { finishActive(note: "response incomplete: \(reason.phrase)", at: timestamp) }
        pending.drain(closing: reason) { unanswered($0, note: $1, at: timestamp) }
        collectParserCounts()
    }

    func expire(now: UInt64) {
        pending.expireTransactions(now: now, context: context, proto: .pgsql) { operation, note in
            // Sync, Flush and the like are not transactions: they go quietly.
            guard operation.kind.isTransaction else { return false }
            unanswered(operation, note: note, at: now)
            return true
        }
    }

    func take(_ output: consuming PgSQLFrameParser.Output, fromClient: Bool, timestamp: UInt64) {
        switch consume output {
        case .frame(let frame):
            if fromClient { clientFrame(frame) } else { serverFrame(frame) }
        case .sslAnswer(let answer):
            // TLS or GSS from here on: neither side is readable any more.
            if answer == UInt8(ascii: "S") || answer == UInt8(ascii: "G") { parsers.client.stopReading() }
        case .oversized:
            context.count(.pgsql) { $0.oversized &+= 1 }
            if !fromClient { active?.result?.notes.append("a message over the size limit was skipped") }
        case .invalid:
            context.count(.pgsql) { $0.parseErrors &+= 1 }
            lost(fromClient: fromClient, note: "unparsable bytes", at: timestamp)
        }
    }

    /// Messages of one side may be missing from here on.
    private func lost(fromClient: Bool, note: String, at time: UInt64) {
        if fromClient {
            carriedRequest = (0, nil)
            pending.requestGap()
        } else {
            if active != nil { finishActive(note: "response \(note)", at: time) }
            carriedResponse = (0, nil)
            groupFailed = false
            pending.responseGap { unanswered($0, note: "response \(note)", at: time) }
        }
    }

    private func clientFrame(_ frame: PgSQLFrame) {
        var operation = PgSQLOperation(kind: .sync, start: frame.start, end: frame.end, bytes: UInt64(frame.length))
        if frame.oversized {
            operation.notes.append("message of \(frame.length) bytes over the size limit, not kept")
        } else if frame.damaged {
            operation.notes.append("bytes of the message lost in a gap")
        }
        let textKept = !frame.oversized && frame.bodyComplete
        switch frame.type {
        case 0:
            if frame.code == PgSQLType.sslRequest || frame.code == PgSQLType.gssEncRequest {
                parsers.server.expectSSLAnswer()
            }
            return
        case PgSQLType.query:
            operation.kind = .query
            operation.text = textKept ? PgSQLBody.firstString(frame.body) : nil
        case PgSQLType.functionCall:
            operation.kind = .functionCall
        case PgSQLType.parse:
            operation.kind = .parse
            let (name, text) = PgSQLBody.parse(frame.body)
            operation.text = textKept ? text : nil
            statements.set(name, operation.text)
        case PgSQLType.bind:
            operation.kind = .bind
            let (portal, statement) = PgSQLBody.twoNames(frame.body)
            portals.set(portal, statements.text(statement))
        case PgSQLType.describe:
            operation.kind = .describe
        case PgSQLType.close:
            operation.kind = .close
            let (kind, name) = PgSQLBody.kindAndName(frame.body)
            if kind == UInt8(ascii: "S") { statements.remove(name) } else { portals.remove(name) }
        case PgSQLType.execute:
            operation.kind = .execute
            let portal = PgSQLBody.firstString(frame.body) ?? ""
            operation.text = portals.text(portal)
            if operation.text == nil { operation.notes.append("statement text unknown") }
            operation.start = carriedRequest.start ?? frame.start
            operation.bytes &+= carriedRequest.bytes
            carriedRequest = (0, nil)
        case PgSQLType.sync:
            carriedRequest = (0, nil)
        default:
            return  // Flush, Terminate, passwords/SASL, copy data: nothing to answer
        }
        switch operation.kind {
        case .parse, .bind, .describe, .close:
            carriedRequest.bytes &+= UInt64(frame.length)
            if carriedRequest.start == nil { carriedRequest.start = frame.start }
        case .query, .functionCall, .execute:
            context.count(.pgsql) { $0.requests &+= 1 }
        case .sync:
            break
        }
        let end = frame.end
        pending.enqueue(operation, at: end, context: context, proto: .pgsql, isTransaction: { $0.kind.isTransaction }) {
            unanswered($0, note: $1, at: end)
        }
    }

    func unanswered(_ operation: PgSQLOperation, note: String, at time: UInt64) {
        guard operation.kind.isTransaction else { return }
        context.count(.pgsql) { $0.unmatchedRequests &+= 1 }
        var active = PgSQLActiveRequest(request: operation)
        if operation.kind == .query { active.statements = PgSQLStatements.split(operation.text ?? "") }
        emit(active, result: nil, tag: nil, error: nil, notes: [note], end: max(time, operation.end))
    }

    /// One transaction: the active request's current statement and `result`.
    /// Reads the request in place: copying it out would retain its text and notes.
    func emit(_ active: PgSQLActiveRequest, result: PgSQLResultState?, tag: String?, error: PgSQLServerError?,
              notes: [String], end: UInt64? = nil, failed: Bool = false) {
        var statement = active.currentStatement
        if context.configuration.redactSecrets, let text = statement { statement = PgSQLStatements.redactingPasswords(text) }
        let method = statement.flatMap(PgSQLStatements.method)
        let kind = active.request?.kind
        var detail = PgSQLTransaction(query: statement, method: method, hasRequest: kind != nil,
                                      hasResponse: result != nil,
                                      extended: kind.map { $0 != .query && $0 != .functionCall } ?? false)
        if let result {
            detail.numRows = tag.flatMap(PgSQLCommandTag.rows) ?? result.rows
            detail.numFields = result.fields
            context.count(.pgsql) { $0.responses &+= 1 }
        }
        detail.commandTag = tag
        detail.error = error
        let matched = detail.isMatched
        if matched { context.count(.pgsql) { $0.matched &+= 1 } }
        let first = active.resultsDone == 0
        var allNotes = first ? active.request?.notes ?? [] : []
        if let more = result?.notes, !more.isEmpty { allNotes += more }
        if !notes.isEmpty { allNotes += notes }
        let start = active.request?.start ?? result?.start ?? 0
        let last = end ?? result?.end ?? active.request?.end ?? 0
        let requestBytes = first ? active.request?.bytes ?? 0 : 0
        context.emit(TransactionEvent(
            application: .pgsql, endpoints: endpoints, start: start, end: last, requestBytes: requestBytes,
            responseBytes: result?.bytes ?? 0, status: failed || error != nil || !matched ? .error : .ok,
            notes: allNotes, details: detail))
    }

    @inline(__always)
    func collectParserCounts() {
        context.collectSkipped(.pgsql, &parsers.client.skippedBytes, &parsers.server.skippedBytes)
    }
}

extension PgSQLFrameParser: StreamParser {
    init(fromClient: Bool, configuration: AnalyzerConfiguration) {
        self.init(fromClient: fromClient, maxMessage: configuration.maxMessageSize)
    }

    mutating func step(_ bytes: UnsafeRawBufferPointer, from offset: Int, timestamp: UInt64)
        -> (consumed: Int, message: Output?) {
        var step = advance(bytes, from: offset, timestamp: timestamp)
        return (step.consumed, step.output.take())  // frames move along: a copy retains the body
    }
}

extension PgSQLFrameParser: GapReportingParser {
    mutating func outputAfterGap(length: Int, timestamp: UInt64) -> StreamGap<Output> {
        gap(length: length, timestamp: timestamp).map(Output.frame)
    }
}
