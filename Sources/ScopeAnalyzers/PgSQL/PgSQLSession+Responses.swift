/// The server side: each backend message either answers the operation at
/// the head of the FIFO (ParseComplete, BindComplete, CloseComplete,
/// NoData/RowDescription for a Describe, ReadyForQuery for a Sync or
/// Query), belongs to the result in progress (RowDescription, DataRow,
/// Copy*, CommandComplete, EmptyQueryResponse, PortalSuspended,
/// ErrorResponse), or is asynchronous and pairs with nothing
/// (NoticeResponse, NotificationResponse, ParameterStatus, authentication).
extension PgSQLSession {
    func serverFrame(_ frame: PgSQLFrame) {
        if carriedResponse.start == nil { carriedResponse.start = frame.start }
        carriedResponse.bytes &+= UInt64(frame.length)
        if frame.damaged && active?.result != nil { active?.result?.notes.append("response bytes lost in a gap") }
        switch frame.type {
        case PgSQLType.parseComplete: take(.parse, frame)
        case PgSQLType.bindComplete: take(.bind, frame)
        case PgSQLType.closeComplete: take(.close, frame)
        case PgSQLType.noData: take(.describe, frame)
        case PgSQLType.rowDescription:
            let fields = UInt64(PgSQLBody.fieldCount(frame.body))
            if active == nil && pending.peek({ $0.kind }) == .describe {
                take(.describe, frame)
                describedFields = fields
            } else {
                startResult(frame)
                active?.result?.fields = fields
            }
        case PgSQLType.dataRow:
            startResult(frame)
            active?.result?.rows &+= 1
        case PgSQLType.copyInResponse, PgSQLType.copyOutResponse, PgSQLType.copyBothResponse:
            startResult(frame)
        case PgSQLType.commandComplete:
            startResult(frame)
            finishResult(frame, tag: frame.bodyComplete ? PgSQLBody.firstString(frame.body) : nil)
        case PgSQLType.emptyQueryResponse, PgSQLType.functionCallResponse:
            startResult(frame)
            finishResult(frame)
        case PgSQLType.portalSuspended:
            startResult(frame)
            finishResult(frame, note: "portal suspended at the row limit")
        case PgSQLType.errorResponse:
            failure(frame, PgSQLServerError(body: frame.body))
        case PgSQLType.readyForQuery:
            ready(frame)
        default:
            break  // asynchronous, startup and copy data: part of the next result's bytes
        }
    }

    /// A message that answers the head operation when it is of `kind`;
    /// anything else means the two sides are out of step: it pairs with nothing.
    private func take(_ kind: PgSQLOperation.Kind, _ frame: PgSQLFrame) {
        guard active == nil, pending.peek({ $0.kind }) == kind else { return }
        _ = pending.match(responseStart: frame.start)
    }

    /// The first message of a result: the request it answers leaves the FIFO.
    private func startResult(_ frame: PgSQLFrame) {
        if active?.result != nil { return }
        if active != nil {
            active?.result = PgSQLResultState(start: frame.start, end: frame.end)
            return
        }
        var request: PgSQLOperation?
        while let kind = pending.peek({ $0.kind }), kind != .sync {
            guard case .matched(let operation) = pending.match(responseStart: frame.start) else { break }
            // A Parse/Bind/Describe/Close without its answer: out of step, given up.
            if operation.kind.isTransaction {
                request = operation
                break
            }
        }
        let kind = request?.kind
        var started = PgSQLActiveRequest(request: nil)
        if kind == .query { started.statements = PgSQLStatements.split(request?.text ?? "") }
        started.request = request
        started.result = PgSQLResultState(start: frame.start, end: frame.end)
        if kind == .execute { started.result?.fields = describedFields ?? 0 }
        describedFields = nil
        active = started
    }

    private func finishResult(_ frame: PgSQLFrame, tag: String? = nil, error: PgSQLServerError? = nil,
                              note: String? = nil) {
        // Moved out and back: a copy would retain the request's text and notes.
        guard var current = active.take() else { return }
        var result = current.result.take() ?? PgSQLResultState(start: frame.start, end: frame.end)
        result.start = carriedResponse.start ?? frame.start
        result.end = frame.end
        result.bytes = carriedResponse.bytes
        carriedResponse = (0, nil)
        var notes = note.map { [$0] } ?? []
        if current.request == nil {
            context.count(.pgsql) { $0.unmatchedResponses &+= 1 }
            notes.append("response without a request")
        }
        emit(current, result: result, tag: tag, error: error, notes: notes)
        current.resultsDone &+= 1
        if current.staysUntilReady { active = current }
    }

    /// ErrorResponse: ends the result in progress, or says which message of
    /// an extended-protocol group failed. The server then skips every
    /// message up to the Sync; ReadyForQuery reports what was skipped.
    private func failure(_ frame: PgSQLFrame, _ error: PgSQLServerError) {
        if active == nil, let head = pending.first, !head.kind.isTransaction {
            guard head.kind != .sync else {
                active = PgSQLActiveRequest(request: nil)  // e.g. the implicit COMMIT at Sync failed
                finishResult(frame, error: error, note: "error answering Sync")
                return
            }
            groupFailed = true
            guard case .matched(let failed) = pending.match(responseStart: frame.start) else {
                active = PgSQLActiveRequest(request: nil)
                finishResult(frame, error: error)
                return
            }
            // The statement that failed is the one the next queued Execute would run.
            var owner = failed
            while let next = pending.first, !next.kind.endsWithReady {
                guard case .matched(let operation) = pending.match(responseStart: frame.start) else { break }
                if operation.kind == .execute {
                    owner = operation
                    break
                }
            }
            active = PgSQLActiveRequest(request: owner)
            finishResult(frame, error: error, note: owner.kind == .execute ? "failed at its \(failed.kind)" : nil)
            return
        }
        startResult(frame)
        if active?.request?.kind == .execute { groupFailed = true }
        var note: String?
        if let current = active, current.request?.kind == .query {
            let skipped = current.statements.count &- current.resultsDone &- 1
            if skipped > 0 { note = "\(skipped) later statement\(skipped == 1 ? "" : "s") of the query not executed" }
        }
        finishResult(frame, error: error, note: note)
    }

    /// The connection ended or the response side lost bytes: the result in
    /// progress is reported incomplete (a Query with no result yet, unanswered).
    func finishActive(note: String, at time: UInt64) {
        guard let current = active.take() else { return }
        if var result = current.result {
            if current.request == nil { context.count(.pgsql) { $0.unmatchedResponses &+= 1 } }
            result.start = carriedResponse.start ?? result.start
            result.end = max(result.end, time)
            result.bytes = carriedResponse.bytes
            emit(current, result: result, tag: nil, error: nil, notes: [note], failed: true)
        } else if current.resultsDone == 0, let request = current.request {
            unanswered(request, note: note, at: time)
        }
        carriedResponse = (0, nil)
    }

    /// ReadyForQuery answers the Sync (or the Query): operations still
    /// queued before it were skipped by the server after an error.
    private func ready(_ frame: PgSQLFrame) {
        defer {
            groupFailed = false
            carriedResponse = (0, nil)
        }
        // Tested in place: binding `active` would copy it (its texts and notes).
        if active != nil {
            if active?.result != nil {
                finishResult(frame, note: "ReadyForQuery before the end of the result")
            } else if active?.resultsDone == 0 {
                active?.result = PgSQLResultState(start: frame.start, end: frame.end)
                finishResult(frame)
            }
            active = nil
            return
        }
        while !pending.isEmpty {
            guard case .matched(let operation) = pending.match(responseStart: frame.start) else { break }
            if operation.kind.endsWithReady {
                if operation.kind != .sync {
                    active = PgSQLActiveRequest(request: operation)
                    active?.result = PgSQLResultState(start: frame.start, end: frame.end)
                    finishResult(frame)
                    active = nil
                }
                return
            }
            unanswered(operation, note: groupFailed ? "not executed: an earlier message of its pipeline failed"
                                                    : "no result before ReadyForQuery", at: frame.end)
        }
    }
}
