import ScopeDecode

/// Short, protocol-neutral views of an event for aggregation: the live
/// dashboard's tables and the Prometheus labels. `method` and `outcome`
/// come from small vocabularies (methods, commands, record types, status
/// classes), so they are safe as label values; `resource` is not and is
/// meant for capped top-N tables only.
extension TransactionEvent {
    /// HTTP method, Redis/Memcached command, SQL keyword, DNS record type,
    /// ICMP request type; "?" when the request was not seen.
    public var method: String {
        switch details {
        case .http(let value): value.request?.method ?? "?"
        case .dns(let value): (value.request ?? value.response)?.question.map { DNSNames.type($0.type) } ?? "?"
        case .redis(let value): value.command?.name ?? value.push?.kind ?? "?"
        case .mysql(let value): value.request?.method ?? "?"
        case .pgsql(let value): value.method ?? "?"
        case .memcache(let value): value.request?.command ?? "?"
        case .icmp(let value):
            (value.request ?? value.response).map {
                ICMPNames.message(type: $0.type, code: $0.code, version: value.version)
            } ?? "?"
        }
    }

    /// What the request was about: URL path, query text, record name, key,
    /// address pinged. Unbounded vocabulary: never a metric label.
    public var resource: String {
        switch details {
        case .http(let value):
            value.request.map { HTTPURL(request: $0, endpoints: endpoints).pathText } ?? "?"
        case .dns(let value): (value.request ?? value.response)?.question?.name ?? "?"
        case .redis(let value): value.command.map { $0.key.map { "\($0)" } ?? $0.name } ?? value.push?.channel ?? "?"
        case .mysql(let value): value.request?.query ?? "?"
        case .pgsql(let value): value.query ?? "?"
        case .memcache(let value): value.request?.keys.first ?? value.request?.command ?? "?"
        case .icmp: endpoints.server.description
        }
    }

    /// Outcome class: "2xx".."5xx" for HTTP, the response code name for DNS,
    /// "ok" or "error" otherwise, and "unanswered" when no response came.
    public var outcome: String {
        switch details {
        case .http(let value):
            value.response.map { $0.statusCode >= 100 && $0.statusCode < 600 ? "\($0.statusCode / 100)xx" : "other" }
                ?? "unanswered"
        case .dns(let value): value.response.map { DNSNames.responseCode($0.responseCode) } ?? "unanswered"
        case .redis(let value): value.reply == nil && value.push == nil ? "unanswered" : okOrError
        case .mysql(let value): value.response == nil ? "unanswered" : okOrError
        case .pgsql(let value): value.hasResponse ? okOrError : "unanswered"
        case .memcache(let value): value.response == nil && !value.expectsNoResponse ? "unanswered" : okOrError
        case .icmp(let value): value.response == nil && value.original == nil ? "unanswered" : okOrError
        }
    }

    private var okOrError: String { status == .ok ? "ok" : "error" }
}
