/// Follows the server's side of the command phase: which packets belong to
/// the response in progress and what they say. A response is OK, ERR, a
/// result set (column count, column definitions, an EOF unless
/// CLIENT_DEPRECATE_EOF, rows, then an EOF or an OK with a 0xFE header) or
/// a command's own shape (prepare OK, field list, statistics text). With
/// SERVER_MORE_RESULTS_EXISTS another result follows in the same response.
struct MySQLResponseParser {
    enum State: Equatable {
        /// Next packet starts a result (the response, or its next result).
        case idle
        case columns(remaining: UInt64)
        /// Column definitions are done: an EOF may follow, then rows.
        case afterColumns
        case rows
        case prepareParams(remaining: Int, columns: Int)
        case afterPrepareParams(columns: Int)
        case prepareColumns(remaining: Int)
        case afterPrepareColumns
        case fieldList
    }

    enum Step {
        /// The packet belongs to the response; it is not finished.
        case more
        case complete(MySQLResponse)
        /// The packet starts something else: the response ended before it
        /// (an optional EOF was absent). Feed the packet again.
        case completeBefore(MySQLResponse)
    }

    private(set) var state = State.idle
    private(set) var response: MySQLResponse?
    /// From the handshake: nil while unknown (mid-stream start).
    var deprecateEOF: Bool?

    var inProgress: Bool { response != nil }

    /// One server payload; `command` is what the response answers (nil when
    /// no request is pending: parsed as a query response).
    mutating func feed(_ payload: UnsafeRawBufferPointer, frame: MySQLFramer.Frame, end: UInt64,
                       command: MySQLCommand?) -> Step {
        if response == nil { response = MySQLResponse(start: frame.start) } else if countInPlace(payload, frame, end) {
            return .more
        }
        // Moved out while this packet is read, put back when the response
        // goes on: a copy per packet retained its strings and notes.
        guard var current = response.take() else { return .more }
        let first = payload.first ?? 0
        let isEOF = first == 0xFE && frame.length < 9
        let isTerminator = first == 0xFE && frame.length < MySQLFramer.continuationLength
        switch state {
        case .idle:
            if first == 0xFF, frame.length >= 3, !(command == .statistics) {
                if Self.isProgress(payload) { break }  // MariaDB progress report, not the answer
                Self.error(payload, into: &current)
                return finish(current, frame, end)
            }
            switch command ?? .query {
            case .statistics:
                return finish(current, frame, end)
            case .stmtPrepare where first == 0x00 && frame.length >= 12:
                var reader = MySQLReader(payload, from: 1)
                current.statementID = reader.u32()
                let columns = Int(reader.u16() ?? 0), params = Int(reader.u16() ?? 0)
                current.numFields = UInt64(columns)
                current.paramCount = params
                state = params > 0 ? .prepareParams(remaining: params, columns: columns)
                    : columns > 0 ? .prepareColumns(remaining: columns) : .idle
                if state == .idle { return finish(current, frame, end) }
            case .fieldList where first != 0x00 && !isTerminator:
                current.numFields &+= 1
                state = .fieldList
            case .stmtFetch where first == 0x00 && frame.length > 1:
                current.numRows &+= 1
                state = .rows
            case .changeUser where first == 0xFE || first == 0x01:
                break  // auth switch / more auth data: the client answers, then OK or ERR
            default:
                if first == 0x00 && frame.length >= 3 {
                    let status = Self.ok(payload, into: &current)
                    if status & MySQLFlags.serverMoreResultsExist == 0 { return finish(current, frame, end) }
                } else if first == 0xFE {
                    return finish(current, frame, end)  // EOF-answered commands (SET_OPTION, DEBUG)
                } else if first == 0xFB {
                    break  // LOCAL INFILE: the client sends the file, then the server answers OK or ERR
                } else if var reader = Optional(MySQLReader(payload)), let count = reader.lengthEncoded(),
                          count > 0, reader.remaining <= 1 {
                    if current.resultSets == 0 { current.numFields = count }
                    current.resultSets &+= 1
                    // MariaDB's cached metadata: a trailing "metadata follows" byte; 0 = no column definitions.
                    state = reader.u8() == 0 ? .afterColumns : .columns(remaining: count)
                } else {
                    current.notes.append("unexpected response packet 0x\(String(first, radix: 16))")
                    current.complete = false
                    return finish(current, frame, end)
                }
            }
        case .columns(let remaining):
            if current.path == nil { current.path = Self.path(payload) }
            state = remaining > 1 ? .columns(remaining: remaining &- 1) : .afterColumns
        case .afterColumns:
            if isEOF && isIntermediateEOF(length: frame.length) {
                var reader = MySQLReader(payload, from: 3)
                let status = reader.u16() ?? 0
                if status & MySQLFlags.serverCursorExists != 0 { return finish(current, frame, end) }
                state = .rows
            } else {
                return rowOrEnd(payload, frame, end, &current, isTerminator: isTerminator)
            }
        case .rows:
            return rowOrEnd(payload, frame, end, &current, isTerminator: isTerminator)
        case .prepareParams(let remaining, let columns):
            state = remaining > 1 ? .prepareParams(remaining: remaining &- 1, columns: columns)
                : .afterPrepareParams(columns: columns)
            if state == .afterPrepareParams(columns: columns) && deprecateEOF == true {
                state = columns > 0 ? .prepareColumns(remaining: columns) : .idle
                if state == .idle { return finish(current, frame, end) }
            }
        case .afterPrepareParams(let columns):
            if isEOF {
                state = columns > 0 ? .prepareColumns(remaining: columns) : .idle
                if state == .idle { return finish(current, frame, end) }
            } else if columns > 0 {
                state = .prepareColumns(remaining: columns)  // no EOF after all: this is the first column
                response = current
                return feed(payload, frame: frame, end: end, command: command)
            } else {
                return finishBefore(current)
            }
        case .prepareColumns(let remaining):
            state = remaining > 1 ? .prepareColumns(remaining: remaining &- 1) : .afterPrepareColumns
            if state == .afterPrepareColumns && deprecateEOF == true { return finish(current, frame, end) }
        case .afterPrepareColumns:
            if isEOF { return finish(current, frame, end) }
            return finishBefore(current)
        case .fieldList:
            if first == 0xFF {
                Self.error(payload, into: &current)
                return finish(current, frame, end)
            }
            if isTerminator { return finish(current, frame, end) }
            current.numFields &+= 1
        }
        current.bytes &+= UInt64(frame.wireBytes)
        current.end = end
        response = current
        return .more
    }

    /// Most packets of a result set only count: a row (not ERR, not the
    /// terminator) or a column definition once the path is known. Those
    /// update the response in place, as the cases in `feed` and `rowOrEnd`
    /// would, without moving it out and back (two copies of the whole
    /// response per packet). Returns false, changing nothing, otherwise.
    private mutating func countInPlace(_ payload: UnsafeRawBufferPointer, _ frame: MySQLFramer.Frame,
                                       _ end: UInt64) -> Bool {
        switch state {
        case .rows:
            let first = payload.first ?? 0
            guard first != 0xFF, !(first == 0xFE && frame.length < MySQLFramer.continuationLength) else { return false }
            response!.numRows &+= 1
        case .columns(let remaining):
            guard response!.path != nil else { return false }
            state = remaining > 1 ? .columns(remaining: remaining &- 1) : .afterColumns
        default:
            return false
        }
        response!.bytes &+= UInt64(frame.wireBytes)
        response!.end = end
        return true
    }

    /// The packet after a result set's columns or a row: a row, the end of
    /// the rows (EOF or OK with 0xFE), or an ERR that aborts the result.
    private mutating func rowOrEnd(_ payload: UnsafeRawBufferPointer, _ frame: MySQLFramer.Frame, _ end: UInt64,
                                   _ current: inout MySQLResponse, isTerminator: Bool) -> Step {
        if payload.first == 0xFF {
            Self.error(payload, into: &current)
            return finish(current, frame, end)
        }
        guard isTerminator else {
            current.numRows &+= 1
            state = .rows
            current.bytes &+= UInt64(frame.wireBytes)
            current.end = end
            response = current
            return .more
        }
        let status: UInt16
        if frame.length <= 5 {
            var reader = MySQLReader(payload, from: 3)
            status = reader.u16() ?? 0
        } else {
            status = Self.ok(payload, into: &current)
        }
        guard status & MySQLFlags.serverMoreResultsExist != 0 else { return finish(current, frame, end) }
        state = .idle
        current.bytes &+= UInt64(frame.wireBytes)
        current.end = end
        response = current
        return .more
    }

    /// After column definitions, is a 0xFE packet the EOF that separates
    /// them from the rows, or the end of an empty result (DEPRECATE_EOF)?
    /// The handshake says; without it, the lengths do: an EOF is 5 bytes,
    /// an OK at least 7.
    private func isIntermediateEOF(length: Int) -> Bool {
        deprecateEOF.map { !$0 } ?? (length <= 5)
    }

    private mutating func finish(_ done: MySQLResponse, _ frame: MySQLFramer.Frame, _ end: UInt64) -> Step {
        var done = done
        done.bytes &+= UInt64(frame.wireBytes)
        done.end = end
        reset()
        return .complete(done)
    }

    private mutating func finishBefore(_ done: MySQLResponse) -> Step {
        reset()
        return .completeBefore(done)
    }

    /// Gives up the response in progress (gap, close); returns it.
    mutating func abandon() -> MySQLResponse? {
        defer { reset() }
        guard var partial = response else { return nil }
        partial.complete = false
        return partial
    }

    private mutating func reset() {
        state = .idle
        response = nil
    }
}
