import ScopeDecode

/// A reply or push as an event keeps it: capped text, error or not.
struct RedisReply: Equatable, Sendable {
    var text: String
    var isError: Bool
    var start: UInt64
    var end: UInt64
    var bytes: UInt64
    var notes: [String]

    init(_ message: RedisMessage, redacted: Bool) {
        text = redacted && !message.isError ? RedisCommand.redacted : message.text
        isError = message.isError
        start = message.start
        end = message.end
        bytes = message.bytes
        notes = message.notes
    }
}

/// A message the server sent unasked: a pub/sub message, a further
/// (un)subscribe confirmation, a RESP3 push (`>`), a MONITOR line.
struct RedisPush: Equatable, Sendable {
    /// "MESSAGE", "PMESSAGE", "SUBSCRIBE", "INVALIDATE", "MONITOR", ...
    var kind: String
    var channel: String?

    init(_ message: RedisMessage, monitor: Bool) {
        if monitor {
            kind = "MONITOR"
            return
        }
        let kind = message.kind ?? ""
        self.kind = kind.uppercased()
        let index = kind == "pmessage" ? 2 : 1
        if kind != "invalidate" && message.elements.count > index { channel = message.elements[index] }
    }
}

/// One Redis transaction: a command and its reply, either alone, or a
/// server push on its own.
public struct RedisTransaction: Sendable, TransactionDetail {
    var command: RedisCommand?
    var reply: RedisReply?
    var push: RedisPush?

    public var isMatched: Bool { command != nil && reply != nil }

    /// "SET k -> OK", "GET k -> ?", "push MESSAGE news -> [message, news, hi]".
    public var summary: String {
        let answer = reply.map { ($0.isError ? "error " : "") + RedisRenderer.capped($0.text, 80) } ?? "?"
        if let push { return "push \(push.kind)\(push.channel.map { " " + $0 } ?? "") -> \(answer)" }
        let asked = command.map { RedisRenderer.capped($0.query, 80) } ?? "?"
        return "\(asked) -> \(answer)"
    }

    public func appendFields(to json: inout JSONWriter, endpoints: TransactionEndpoints) {
        // One block: the texts are capped (query 1 KiB, reply 1 KiB, key 512 B).
        var room = 256
        if let command { room &+= command.name.utf8.count &+ (command.key?.utf8.count ?? 0) &+ command.query.utf8.count }
        if let push { room &+= push.kind.utf8.count &+ (push.channel?.utf8.count ?? 0) }
        room &+= reply?.text.utf8.count ?? 0
        json.write(reserving: room &* 2) { appendFields(to: &$0) }
    }

    private func appendFields(to json: inout JSONCursor) {
        if let command {
            json.field("method", command.name)
            json.optional("resource", command.key)
            json.field("query", command.query)
        } else if let push {
            json.field("method", push.kind)
            json.optional("resource", push.channel)
        }
        guard reply != nil || push != nil else { return }
        json.beginObject("redis")
        if let reply {
            if reply.isError { json.field("error", reply.text) } else { json.field("return_value", reply.text) }
        }
        if push != nil { json.field("push", true) }
        json.endObject()
    }
}

extension RedisTransaction {
    /// The command, or the kind of push ("message") for a push alone.
    public var methodName: String { command?.name ?? push?.kind ?? "?" }

    public func resourceName(endpoints: TransactionEndpoints) -> String {
        command.map { $0.key.map { "\($0)" } ?? $0.name } ?? push?.channel ?? "?"
    }

    public func outcomeName(status: TransactionStatus) -> String {
        reply == nil && push == nil ? "unanswered" : status.okOrError
    }
}
