import ScopeDecode

/// One Memcache transaction: a request and its response, a request that
/// expects none (`noreply`, quiet binary opcodes, `quit`), or either alone.
///
/// The messages are held sealed, by reference: an event holds its details
/// as `any TransactionDetail`, whose inline buffer is three words, so two
/// references fit and the transaction is never boxed nor copied.
public struct MemcacheTransaction: Sendable, TransactionDetail {
    let sealedRequest: MemcacheMessage.Sealed?
    let sealedResponse: MemcacheMessage.Sealed?

    init(request: MemcacheMessage.Sealed?, response: MemcacheMessage.Sealed?) {
        sealedRequest = request
        sealedResponse = response
    }

    /// Copies, for callers outside this file (tests); the event reads the sealed messages in place.
    public var request: MemcacheMessage? { sealedRequest?.message }
    public var response: MemcacheMessage? { sealedResponse?.message }

    /// No response was due: a `noreply`/quiet request that succeeded silently.
    var expectsNoResponse: Bool { sealedRequest.map { $0.message.noreply || $0.message.quiet } ?? false }

    public var isMatched: Bool { sealedRequest.isSome && (sealedResponse.isSome || expectsNoResponse) }

    var failed: Bool {
        guard let request = sealedRequest else { return true }
        guard let response = sealedResponse else { return !expectsNoResponse || !request.message.notes.isEmpty }
        return response.message.isError || !request.message.notes.isEmpty || !response.message.notes.isEmpty
    }

    /// The event for this transaction (shared by TCP sessions and UDP).
    /// Consuming: the transaction moves into the event, not copied.
    consuming func event(endpoints: TransactionEndpoints, notes: [String], end: UInt64? = nil) -> TransactionEvent {
        let start = sealedRequest?.message.start ?? sealedResponse?.message.start ?? 0
        let requestNotes = sealedRequest?.message.notes.isEmpty ?? true, responseNotes = sealedResponse?.message.notes.isEmpty ?? true
        // Most transactions have no notes: no arrays joined for them.
        let allNotes = requestNotes && responseNotes ? notes
            : (sealedRequest?.message.notes ?? []) + (sealedResponse?.message.notes ?? []) + notes
        let end = end ?? sealedResponse?.message.end ?? sealedRequest?.message.end ?? 0
        let requestBytes = sealedRequest?.message.bytes ?? 0, responseBytes = sealedResponse?.message.bytes ?? 0
        let status: TransactionStatus = failed ? .error : .ok
        return TransactionEvent(
            application: .memcache, endpoints: endpoints, start: start, end: end, requestBytes: requestBytes,
            responseBytes: responseBytes, status: status, notes: allNotes, details: consume self)
    }

    /// Packetbeat's `memcache.*` fields; `method` is the command, `query`
    /// the command with its keys (values are never emitted). Written in one
    /// JSONCursor block with literal keys.
    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        // Keys appear up to three times (query, resource, keys); the texts
        // once. More is asked for if it is needed.
        let room = 768 &+ (sealedRequest?.roomNeeded ?? 0) &+ (sealedResponse?.roomNeeded ?? 0)
        json.write(reserving: room) { appendFields(to: &$0) }
    }

    private func appendFields(to json: inout JSONCursor) {
        if let request = sealedRequest {
            request.appendQuery(to: &json)
        }
        json.beginObject("memcache")
        json.key("protocol_type")
        json.raw((sealedRequest?.message.binary ?? sealedResponse?.message.binary) == true ? #""binary""# : #""text""#)
        if let request = sealedRequest {
            json.beginObject("request")
            request.appendRequest(to: &json)
            json.endObject()
        }
        if let response = sealedResponse {
            json.beginObject("response")
            response.appendResponse(to: &json, requestCommand: sealedRequest?.message.command)
            json.endObject()
        }
        json.endObject()
    }

    /// "get k1 k2 -> VALUE ×2" (either side may be "?").
    public var summary: String {
        let asked = request.map { ([$0.command] + $0.keys.prefix(3)).joined(separator: " ") + ($0.keyCount > 3 ? " …" : "") } ?? "?"
        guard let response else { return "\(asked) -> " + (expectsNoResponse ? "(no reply expected)" : "?") }
        var answer = response.binary ? response.status : response.word
        if response.countValues > 0 && response.command != "COUNTER" { answer += " ×\(response.countValues)" }
        if let value = response.numericValue { answer += " \(value)" }
        return "\(asked) -> \(answer)"
    }
}

// On the sealed message, field by field: a method of the message itself,
// called through the reference, copied the whole message first (callgrind:
// three copies and destroys per event, about 1,100 instructions).
extension MemcacheMessage.Sealed {
    /// JSON bytes this message may need beyond the fixed fields.
    fileprivate var roomNeeded: Int {
        var room = message.command.utf8.count &* 3 &+ message.word.utf8.count &+ (message.line?.utf8.count ?? 0)
            &+ (message.errorMessage?.utf8.count ?? 0) &+ (message.version?.utf8.count ?? 0)
        if let first = message.firstKey { room &+= first.utf8.count &* 3 &+ 4 }
        for key in message.laterKeys { room &+= key.utf8.count &* 3 &+ 4 }
        return room
    }

    /// `method`, `query` (the command and its keys) and `resource` (the first key).
    fileprivate func appendQuery(to json: inout JSONCursor) {
        json.field("method", message.command)
        json.key("query")
        json.beginString()
        json.piece(message.command)
        guard let first = message.firstKey else { return json.endString() }
        json.piece(" ")
        json.piece(first)
        for key in message.laterKeys {
            json.piece(" ")
            json.piece(key)
        }
        json.endString()
        json.field("resource", first)
    }

    fileprivate func appendCommon(to object: inout JSONCursor) {
        if let opcode = message.opcode {
            object.field("opcode", message.word)
            object.field("opcode_value", UInt64(opcode))
            object.field("opaque", UInt64(message.opaque))
        }
        if let first = message.firstKey {
            object.key("keys")
            object.beginArray()
            object.string(first)
            for key in message.laterKeys { object.string(key) }
            object.endArray()
        }
        object.field("count_values", UInt64(message.countValues))
        object.field("bytes", message.valueBytes)
        if let flags = message.flags { object.field("flags", UInt64(flags)) }
        if let cas = message.cas { object.field("cas_unique", cas) }
    }

    fileprivate func appendRequest(to object: inout JSONCursor) {
        object.field("command", message.command)
        object.key("type")
        object.raw(MemcacheNames.typeJSON(message.command))
        appendCommon(to: &object)
        if message.keyCount > message.keptKeys { object.field("key_count", UInt64(message.keyCount)) }
        if message.noreply { object.field("noreply", true) }
        if message.quiet { object.field("quiet", true) }
        if let exptime = message.exptime { object.field("exptime", UInt64(exptime)) }
        if let delta = message.delta { object.field("delta", delta) }
        object.optional("line", message.line)
    }

    fileprivate func appendResponse(to object: inout JSONCursor, requestCommand: String?) {
        // Binary responses mirror the request's command (Packetbeat).
        object.field("command", message.binary ? message.command : message.word)
        object.key("type")
        object.raw(MemcacheNames.typeJSON(message.binary ? message.command : requestCommand ?? message.command))
        object.field("status", MemcacheMessage.status(code: message.statusCode, word: message.word))
        if let statusCode = message.statusCode { object.field("status_code", UInt64(statusCode)) }
        appendCommon(to: &object)
        object.optional("error_msg", message.errorMessage)
        object.optional("version", message.version)
        if let numericValue = message.numericValue { object.field("value", numericValue) }
    }
}

extension MemcacheTransaction {
    public var methodName: String { sealedRequest?.message.command ?? "?" }

    /// The first key, or the command for keyless ones.
    public func resourceName(endpoints: TransactionEndpoints) -> String {
        sealedRequest?.message.firstKey ?? sealedRequest?.message.command ?? "?"
    }

    /// A quiet (noreply) request expects no response and is not unanswered.
    public func outcomeName(status: TransactionStatus) -> String {
        !sealedResponse.isSome && !expectsNoResponse ? "unanswered" : status.okOrError
    }
}
