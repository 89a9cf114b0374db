/// A session giving the rest of its connection to another protocol's
/// session: HTTP/1 after `101 Switching Protocols` to h2c, or on the
/// HTTP/2 preface where only HTTP/1 was expected. The session asks through
/// `AnalyzerContext.handOver` while it handles a delivery; once that
/// delivery returns, `TCPSessionTable` makes the new protocol's session,
/// passes it `seed` (`StreamAnalyzer.adopt`) and the delivery's bytes from
/// `offset` on, and drops the old session, which must have reported
/// everything it still held.
struct StreamHandOver {
    let proto: ApplicationProtocol
    /// Where the new protocol begins in the delivery being handled.
    let offset: Int
    /// What the new session needs to know (the upgraded HTTP/1 request):
    /// a type the two protocols agree on, unknown to the core.
    let seed: Any?
}

extension AnalyzerContext {
    /// Asks for the hand-over (see `StreamHandOver`); the last call of a
    /// delivery wins. False, and nothing asked, when `proto` is disabled:
    /// the session then carries on as it would without it.
    func handOver(to proto: ApplicationProtocol, at offset: Int, seed: Any? = nil) -> Bool {
        guard streamProtocols.contains(proto) else { return false }
        pendingHandOver = StreamHandOver(proto: proto, offset: offset, seed: seed)
        return true
    }
}
