import ScopeDecode

/// What every request/response session does the same way: the delivery
/// loop over one side's parser, the gap procedure, queueing with eviction,
/// the transaction timeout and the end of the connection. The counters and
/// notes stay one wording across protocols. A session supplies its parsers
/// (a `DirectionPair`), what a message means and how a response finds its
/// request; these supply the rest.

/// What one direction's parser made of lost bytes.
enum StreamGap<Message> {
    /// The gap fell inside a part of known length: framing is intact. The
    /// message it completed, if it did.
    case absorbed(Message?)
    /// Framing is lost; the parser resynchronises. The message cut short,
    /// when its start was known.
    case lost(Message?)
}

/// A connection's two parsers, one per direction, reached by the side that
/// sent the bytes.
struct DirectionPair<Parser> {
    var client: Parser
    var server: Parser

    init(_ make: (_ fromClient: Bool) -> Parser) {
        client = make(true)
        server = make(false)
    }

    subscript(fromClient: Bool) -> Parser {
        @inline(__always) _read { if fromClient { yield client } else { yield server } }
        @inline(__always) _modify { if fromClient { yield &client } else { yield &server } }
    }
}

/// One direction's parser of a request/response protocol, as its session
/// drives it: made from the analyzer configuration, fed each delivery from
/// an offset. Parsers with more to say per step (HTTP's response parser
/// needs the request's method) keep their own loop.
protocol StreamParser {
    associatedtype Message
    init(fromClient: Bool, configuration: AnalyzerConfiguration)
    /// Parses from `offset`: the bytes consumed and the message completed,
    /// moved out of the parser (a copy would retain its storage).
    mutating func step(_ bytes: UnsafeRawBufferPointer, from offset: Int, timestamp: UInt64)
        -> (consumed: Int, message: Message?)
}

extension DirectionPair where Parser: StreamParser {
    init(configuration: AnalyzerConfiguration) {
        self.init { Parser(fromClient: $0, configuration: configuration) }
    }

    /// One step of the side that sent `bytes`.
    @inline(__always)
    mutating func step(fromClient: Bool, _ bytes: UnsafeRawBufferPointer, from offset: Int,
                       timestamp: UInt64) -> (consumed: Int, message: Parser.Message?) {
        // The sides by name, not by subscript: a coroutine per message costs.
        fromClient ? client.step(bytes, from: offset, timestamp: timestamp)
                   : server.step(bytes, from: offset, timestamp: timestamp)
    }
}

/// A parser that also says what a gap in its direction did, as its own
/// output: the message a gap completed or cut short comes out as `step`'s
/// messages do.
protocol GapReportingParser: StreamParser {
    mutating func outputAfterGap(length: Int, timestamp: UInt64) -> StreamGap<Message>
}

extension StreamGap {
    /// The message, if any, made into another type (a parser's output case).
    func map<Output>(_ transform: (Message) -> Output) -> StreamGap<Output> {
        switch self {
        case .absorbed(let message): .absorbed(message.map(transform))
        case .lost(let message): .lost(message.map(transform))
        }
    }
}

/// A session that is a parser per direction and a matching rule (Memcached,
/// PostgreSQL): the delivery loop and the gap procedure are written here,
/// the session says what each output means (`take`) and what losing a
/// side's framing breaks (`lose`). Close and expiry stay the session's
/// (what is left unanswered differs by protocol). The loop is written out,
/// not `parseMessages`: through its closures each message was copied into
/// `take` (+3 % instructions on PostgreSQL).
protocol ParsedStreamSession: StreamAnalyzer {
    associatedtype Parser: GapReportingParser
    static var proto: ApplicationProtocol { get }
    var context: AnalyzerContext { get }
    var parsers: DirectionPair<Parser> { get set }
    /// One output of the side that sent it, in stream order.
    func take(_ output: consuming Parser.Message, fromClient: Bool, timestamp: UInt64)
    /// A gap broke `fromClient`'s framing: its messages may be missing from here on.
    func lose(fromClient: Bool, length: Int, timestamp: UInt64)
    /// After each delivery and gap: counts the parsers kept, into the protocol's counters.
    func collectParserCounts()
    /// The side's parser holds a message back past the last byte (default: never).
    func holdsMore(fromClient: Bool) -> Bool
}

extension ParsedStreamSession {
    func holdsMore(fromClient: Bool) -> Bool { false }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {
        var offset = 0
        while offset < bytes.count || holdsMore(fromClient: fromClient) {
            let (consumed, message) = parsers.step(fromClient: fromClient, bytes, from: offset, timestamp: timestamp)
            offset &+= consumed
            // Moved into `take`: a copy would retain what the message holds.
            guard let output = consume message else {
                if consumed == 0 { break }  // cannot happen; a session must never spin
                continue
            }
            take(output, fromClient: fromClient, timestamp: timestamp)
        }
        collectParserCounts()
    }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        let outcome = fromClient ? parsers.client.outputAfterGap(length: length, timestamp: timestamp)
                                 : parsers.server.outputAfterGap(length: length, timestamp: timestamp)
        context.settleGap(outcome, Self.proto, length: length) {
            take($0, fromClient: fromClient, timestamp: timestamp)
        } lose: {
            lose(fromClient: fromClient, length: length, timestamp: timestamp)
        }
        collectParserCounts()
    }
}

/// The loop over one delivery, for a session that does more per step than
/// `ParsedStreamSession`'s loop (Redis watches its parsers' framing):
/// `step` parses from an offset and answers how many bytes it consumed and
/// the message it completed, `handle` takes each message. A step that
/// neither consumes nor completes anything ends the loop: it cannot happen,
/// and a session must never spin.
@inline(__always)
func parseMessages<Message>(_ count: Int, step: (_ offset: Int) -> (consumed: Int, message: Message?),
                            handle: (Message) -> Void) {
    var offset = 0
    while offset < count {
        let (consumed, message) = step(offset)
        offset &+= consumed
        if let message {
            handle(message)
        } else if consumed == 0 {
            break
        }
    }
}

extension AnalyzerContext {
    /// `length` bytes of one of `proto`'s connections were lost.
    func countGap(_ proto: ApplicationProtocol, length: Int) {
        count(proto) {
            $0.gaps &+= 1
            $0.gapBytes &+= UInt64(length)
        }
    }

    /// The gap procedure: the gap is counted; an absorbed one hands on the
    /// message it completed; a lost one hands on the message cut short and
    /// then `lose` breaks the side's pairing (`FIFOMatcher.lose`).
    func settleGap<Message>(_ outcome: StreamGap<Message>, _ proto: ApplicationProtocol, length: Int,
                            handle: (Message) -> Void, lose: () -> Void) {
        countGap(proto, length: length)
        switch outcome {
        case .absorbed(let completed):
            count(proto) { $0.gapsAbsorbed &+= 1 }
            if let completed { handle(completed) }
        case .lost(let partial):
            if let partial { handle(partial) }
            lose()
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
    /// Queues a complete request. When the queue is full its oldest request
    /// goes to `evicted` with the note, counted as one of `proto`'s
    /// evictions; one that `isTransaction` says is not a transaction (a
    /// PostgreSQL Sync) is dropped quietly instead.
    mutating func enqueue(_ request: consuming Request, at time: UInt64, context: AnalyzerContext,
                          proto: ApplicationProtocol, isTransaction: (Request) -> Bool = { _ in true },
                          evicted: (Request, _ note: String) -> Void) {
        guard let oldest = push(request, at: time), isTransaction(oldest) else { return }
        context.count(proto) { $0.evictions &+= 1 }
        evicted(oldest, "more than \(capacity) requests pending")
    }

    /// One side's messages were lost. On the request side a barrier goes up,
    /// so no response pairs across the loss with a request queued before
    /// it; on the response side every request waiting goes to `unanswered`
    /// with `note`, oldest first.
    mutating func lose(fromClient: Bool, note: @autoclosure () -> String,
                       _ unanswered: (Request, _ note: String) -> Void) {
        if fromClient {
            requestGap()
        } else {
            let note = note()
            responseGap { unanswered($0, note) }
        }
    }

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
        guard !isEmpty else { return }  // the usual close: no note String made
        let note = "no response before \(reason.phrase)"
        drain { report($0, note) }
    }
}
