import ScopeDecode

/// One Memcache transaction: a request and its response, a request that
/// expects none (`noreply`, quiet binary opcodes, `quit`), or either alone.
///
/// The two messages live in one immutable box: an event holds its details
/// as `any TransactionDetail`, whose inline buffer is three words, so two
/// messages inline (about 500 bytes) were copied into a new heap box and
/// the originals destroyed on every transaction; one reference fits. With
/// `let` fields reads borrow in place; setting a side makes a new box
/// (only tests do).
public struct MemcacheTransaction: Sendable, TransactionDetail {
    private var storage: Storage

    public init(request: consuming MemcacheMessage?, response: consuming MemcacheMessage?) {
        storage = Storage(request: request, response: response)
    }

    // For callers outside this file (tests): the event reads `storage`
    // directly. A `_read` the compiler leaves out of line allocates its
    // coroutine frame (the message is too big for the fixed buffer): a
    // malloc and a free per read, three reads per event.
    public var request: MemcacheMessage? {
        _read { yield storage.request }
        set { storage = Storage(request: newValue, response: storage.response) }
    }

    public var response: MemcacheMessage? {
        _read { yield storage.response }
        set { storage = Storage(request: storage.request, response: newValue) }
    }

    private final class Storage: Sendable {
        let request: MemcacheMessage?
        let response: MemcacheMessage?

        init(request: consuming MemcacheMessage?, response: consuming MemcacheMessage?) {
            self.request = request
            self.response = response
        }
    }

    /// No response was due: a `noreply`/quiet request that succeeded silently.
    var expectsNoResponse: Bool { storage.request.map { $0.noreply || $0.quiet } ?? false }

    public var isMatched: Bool { storage.request.isSome && (storage.response.isSome || expectsNoResponse) }

    var failed: Bool {
        guard let request = storage.request else { return true }
        guard let response = storage.response else { return !expectsNoResponse || !request.notes.isEmpty }
        return response.isError || !request.notes.isEmpty || !response.notes.isEmpty
    }

    /// The event for this transaction (shared by TCP sessions and UDP).
    /// Consuming: the transaction moves into the event, not copied.
    consuming func event(endpoints: TransactionEndpoints, notes: [String], end: UInt64? = nil) -> TransactionEvent {
        let start = storage.request?.start ?? storage.response?.start ?? 0
        let requestNotes = storage.request?.notes.isEmpty ?? true, responseNotes = storage.response?.notes.isEmpty ?? true
        // Most transactions have no notes: no arrays joined for them.
        let allNotes = requestNotes && responseNotes ? notes : (storage.request?.notes ?? []) + (storage.response?.notes ?? []) + notes
        let end = end ?? storage.response?.end ?? storage.request?.end ?? 0
        let requestBytes = storage.request?.bytes ?? 0, responseBytes = storage.response?.bytes ?? 0
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
        var room = 768
        func add(_ message: MemcacheMessage?) {
            guard let message else { return }
            room &+= message.command.utf8.count &* 3 &+ message.word.utf8.count &+ (message.line?.utf8.count ?? 0)
                &+ (message.errorMessage?.utf8.count ?? 0) &+ (message.version?.utf8.count ?? 0)
            for key in message.keys { room &+= key.utf8.count &* 3 &+ 4 }
        }
        add(storage.request)
        add(storage.response)
        json.write(reserving: room) { appendFields(to: &$0) }
    }

    private func appendFields(to json: inout JSONCursor) {
        if let request = storage.request {
            json.field("method", request.command)
            json.key("query")
            json.beginString()
            json.piece(request.command)
            for key in request.keys {
                json.piece(" ")
                json.piece(key)
            }
            json.endString()
            if let key = request.keys.first { json.field("resource", key) }
        }
        json.beginObject("memcache")
        json.field("protocol_type", (storage.request?.binary ?? storage.response?.binary) == true ? "binary" : "text")
        if let request = storage.request {
            json.beginObject("request")
            request.appendRequest(to: &json)
            json.endObject()
        }
        if let response = storage.response {
            json.beginObject("response")
            response.appendResponse(to: &json, request: storage.request)
            json.endObject()
        }
        json.endObject()
    }

    /// "get k1 k2 -> VALUE ×2" (either side may be "?").
    public var summary: String {
        let asked = storage.request.map { ([$0.command] + $0.keys.prefix(3)).joined(separator: " ") + ($0.keyCount > 3 ? " …" : "") } ?? "?"
        guard let response = storage.response else { return "\(asked) -> " + (expectsNoResponse ? "(no reply expected)" : "?") }
        var answer = response.binary ? response.status : response.word
        if response.countValues > 0 && response.command != "COUNTER" { answer += " ×\(response.countValues)" }
        if let value = response.numericValue { answer += " \(value)" }
        return "\(asked) -> \(answer)"
    }
}

extension MemcacheMessage {
    fileprivate func appendCommon(to object: inout JSONCursor) {
        if let opcode {
            object.field("opcode", word)
            object.field("opcode_value", UInt64(opcode))
            object.field("opaque", UInt64(opaque))
        }
        if !keys.isEmpty {
            object.key("keys")
            object.beginArray()
            for key in keys { object.string(key) }
            object.endArray()
        }
        object.field("count_values", UInt64(countValues))
        object.field("bytes", valueBytes)
        if let flags { object.field("flags", UInt64(flags)) }
        if let cas { object.field("cas_unique", cas) }
    }

    fileprivate func appendRequest(to object: inout JSONCursor) {
        object.field("command", command)
        object.field("type", MemcacheNames.type(command))
        appendCommon(to: &object)
        if keyCount > keys.count { object.field("key_count", UInt64(keyCount)) }
        if noreply { object.field("noreply", true) }
        if quiet { object.field("quiet", true) }
        if let exptime { object.field("exptime", UInt64(exptime)) }
        if let delta { object.field("delta", delta) }
        object.optional("line", line)
    }

    fileprivate func appendResponse(to object: inout JSONCursor, request: MemcacheMessage?) {
        // Binary responses mirror the request's command (Packetbeat).
        object.field("command", binary ? command : word)
        object.field("type", MemcacheNames.type(binary ? command : request?.command ?? command))
        object.field("status", status)
        if let statusCode { object.field("status_code", UInt64(statusCode)) }
        appendCommon(to: &object)
        object.optional("error_msg", errorMessage)
        object.optional("version", version)
        if let numericValue { object.field("value", numericValue) }
    }
}

extension MemcacheTransaction {
    public var methodName: String { storage.request?.command ?? "?" }

    /// The first key, or the command for keyless ones.
    public func resourceName(endpoints: TransactionEndpoints) -> String { storage.request?.keys.first ?? storage.request?.command ?? "?" }

    /// A quiet (noreply) request expects no response and is not unanswered.
    public func outcomeName(status: TransactionStatus) -> String {
        !storage.response.isSome && !expectsNoResponse ? "unanswered" : status.okOrError
    }
}
