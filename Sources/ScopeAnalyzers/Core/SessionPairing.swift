import ScopeDecode

/// What every request/response session does the same way at a gap, at the
/// transaction timeout and at the end of its connection: the counters and
/// the notes stay one wording across protocols. A session supplies its
/// parser and its matching rule; these supply the rest.
extension AnalyzerContext {
    /// `length` bytes of one of `proto`'s connections were lost.
    func countGap(_ proto: ApplicationProtocol, length: Int) {
        count(proto) {
            $0.gaps &+= 1
            $0.gapBytes &+= UInt64(length)
        }
    }

    /// Moves what the two parsers of a connection skipped since last asked
    /// into `proto`'s counters (once per delivery, not per message).
    func collectSkipped(_ proto: ApplicationProtocol, _ first: inout UInt64, _ second: inout UInt64) {
        let skipped = first &+ second
        guard skipped > 0 else { return }
        (first, second) = (0, 0)
        count(proto) { $0.skippedBytes &+= skipped }
    }
}

extension FIFOMatcher {
    /// Requests that waited past the transaction timeout go to `report`
    /// with the note, oldest first; those for which `report` returns true
    /// count as `proto`'s timeouts (a request that expects no answer does
    /// not).
    mutating func expireTransactions(now: UInt64, context: AnalyzerContext, proto: ApplicationProtocol,
                                     _ report: (Request, _ note: String) -> Bool) {
        let timeout = context.configuration.transactionTimeout
        expire(now: now, timeout: timeout) { request in
            if report(request, "no response within \(timeout / 1_000_000) ms") {
                context.count(proto) { $0.timeouts &+= 1 }
            }
        }
    }

    /// The connection ended: every request still waiting goes to `report`
    /// with the note, oldest first.
    mutating func drain(closing reason: StreamCloseReason, _ report: (Request, _ note: String) -> Void) {
        let note = "no response before \(reason.phrase)"
        drain { report($0, note) }
    }
}
