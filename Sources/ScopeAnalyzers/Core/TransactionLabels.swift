import ScopeDecode

/// Short, protocol-neutral views of an event for aggregation: the live
/// dashboard's tables and the Prometheus labels. `method` and `outcome`
/// come from small vocabularies (methods, commands, record types, status
/// classes), so they are safe as label values; `resource` is not and is
/// meant for capped top-N tables only. Each protocol's transaction type
/// answers them (`TransactionDetail`).
extension TransactionEvent {
    /// HTTP method, Redis/Memcached command, SQL keyword, DNS record type,
    /// ICMP request type; "?" when the request was not seen.
    public var method: String { details.methodName }

    /// What the request was about: URL path, query text, record name, key,
    /// address pinged. Unbounded vocabulary: never a metric label.
    public var resource: String { details.resourceName(endpoints: endpoints) }

    /// Outcome class: "2xx".."5xx" for HTTP, the response code name for DNS,
    /// "ok" or "error" otherwise, and "unanswered" when no response came.
    public var outcome: String { details.outcomeName(status: status) }

    /// The request was never seen: a response on its own.
    public func requestMissing(method: String) -> Bool { details.requestMissing(method: method) }
}
