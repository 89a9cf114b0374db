import Testing
@testable import ScopeAnalyzers

/// Gaps, mid-stream starts, timeouts and adversarial streams: no
/// mispairing, counters that show the loss, memory that stays bounded.
@Suite struct RedisRobustnessTests {
    static func drain(_ context: AnalyzerContext) -> [String] {
        var events: [String] = []
        context.drainEvents { events.append($0.redis?.summary ?? "not redis") }
        return events
    }

    @Test func gapInsideABulkValueIsAbsorbed() throws {
        let conversation = Conversation(steps: [
            .client(resp("GET", "big"), at: 1), .server("$1000\r\n".bytes + Array(repeating: 0x41, count: 100), at: 2),
            .serverGap(800, at: 3), .server(Array(repeating: 0x41, count: 100) + "\r\n".bytes, at: 4),
            .client(resp("GET", "next"), at: 5), .server("$2\r\nok\r\n".bytes, at: 6),
        ])
        let (events, counters) = conversation.run(.redis)
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
        try #require(events.count == 2)
        #expect(events.map { $0.redis!.reply!.text } == [String(repeating: "A", count: 200) + "...", "ok"])
        #expect(events[0].notes == ["800 bytes lost inside a value"] && events[0].responseBytes == 1009)
        #expect(counters.gaps == 1 && counters.gapsAbsorbed == 1 && counters.gapBytes == 800 && counters.matched == 2)
    }

    @Test func gapBetweenRepliesGivesUpThePendingCommands() {
        let conversation = Conversation(steps: [
            .client(resp("GET", "a") + resp("GET", "b"), at: 1),
            .server("$1\r\n".bytes, at: 2), .serverGap(10, at: 3),
            .server("x\r\n$1\r\nb\r\n".bytes, at: 4),  // tail of a's reply, b's reply: both unowned now
            .client(resp("GET", "c"), at: 5), .server("$1\r\nc\r\n".bytes, at: 6),
        ])
        let (events, counters) = conversation.run(.redis)
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
        #expect(events.map { $0.redis!.summary } == ["GET a -> ?", "GET b -> ?", "? -> b", "GET c -> c"])
        #expect(events.first?.notes == ["response lost in a gap of 10 bytes"])
        #expect(counters.unmatchedRequests == 2 && counters.unmatchedResponses == 1 && counters.matched == 1)
        #expect(counters.skippedBytes == 7)  // "$1\r\n" before the gap, "x\r\n" after it
    }

    @Test func commandLostInAGapLeavesItsReplyUnmatched() {
        let (events, counters) = Conversation(steps: [
            .client(resp("SET", "a", "1"), at: 10), .server("+OK\r\n".bytes, at: 20),
            .client("*2\r\n$3\r\nGET\r\n".bytes, at: 25), .clientGap(7, at: 26),  // "$1\r\nb\r\n" lost
            .server("$1\r\nb\r\n".bytes, at: 30),
            .client(resp("GET", "c"), at: 40), .server("$1\r\nc\r\n".bytes, at: 50),
        ]).run(.redis)
        #expect(events.map { $0.redis!.summary } == ["SET a 1 -> OK", "GET -> ?", "? -> b", "GET c -> c"])
        #expect(events.count == 4 && events[1].notes == ["request cut by a gap of 7 bytes"])
        #expect(counters.unmatchedRequests == 1 && counters.unmatchedResponses == 1 && counters.matched == 2)
    }

    @Test func midStreamStartSkipsToTheNextCommand() {
        let conversation = Conversation(steps: [
            .client("ue of an earlier SET\r\n".bytes + resp("GET", "k"), at: 1),
            .server("ail\r\n".bytes, at: 2), .server("$1\r\nv\r\n".bytes, at: 3),
        ])
        let (events, counters) = conversation.run(.redis)
        #expect(events.map { $0.redis!.summary } == ["GET k -> v"])
        #expect(counters.parseErrors == 2 && counters.skippedBytes == 27 && counters.unmatchedResponses == 0)
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
    }

    @Test func unansweredCommandsTimeOutAndCloseReportsTheRest() {
        let (events, counters) = Conversation(steps: [
            .client(resp("BLPOP", "q", "0"), at: 1_000_000_000), .expire(at: 5_000_000_000),
            .expire(at: 11_000_000_000), .client(resp("GET", "k"), at: 12_000_000_000),
        ]).run(.redis)
        #expect(events.map { $0.redis!.summary } == ["BLPOP q 0 -> ?", "GET k -> ?"])
        #expect(events.map(\.notes) == [["no response within 10000 ms"], ["no response before connection closed"]])
        #expect(events.allSatisfy { $0.status == .error })
        #expect(counters.timeouts == 1 && counters.unmatchedRequests == 2)
    }

    @Test func replyWithoutACommandIsUnmatched() {
        let (events, counters) = Conversation(steps: [.server("+OK\r\n".bytes, at: 1)]).run(.redis)
        #expect(events.map { $0.redis!.summary } == ["? -> OK"] && events.first?.status == .error)
        #expect(counters.unmatchedResponses == 1)
    }

    @Test func hugeBulkLengthIsCountedNotBuffered() {
        var configuration = AnalyzerConfiguration()
        configuration.maxMessageSize = 1 << 20
        let context = AnalyzerContext(configuration: configuration)
        let session = RedisSession(endpoints: Conversation.endpoints, context: context)
        resp("GET", "k").withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 1) }
        "$400000000\r\n".bytes.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 2) }
        let chunk = [UInt8](repeating: 0x42, count: 1 << 20)
        for _ in 0..<381 {  // 399 507 456 bytes
            chunk.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 3) }
            #expect(session.parsers.server.buffer.pending.capacity <= 4096)
        }
        (Array(repeating: 0x42, count: 400_000_000 - 381 << 20) + "\r\n".bytes + "+OK\r\n".bytes)
            .withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 4) }
        let summaries = Self.drain(context)
        #expect(summaries.count == 2 && summaries.first?.hasPrefix("GET k -> BBBB") == true)
        #expect(summaries.last == "? -> OK")
        #expect(context.counters(.redis).oversized == 1 && context.counters(.redis).matched == 1)
        // Past Redis' own 512 MB ceiling a length is garbage: resynchronise instead of waiting.
        "$1000000000\r\nBBBB\r\n+OK\r\n".bytes.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 5) }
        #expect(context.counters(.redis).parseErrors == 1 && Self.drain(context) == ["? -> OK"])
    }

    @Test func endlessLineStaysWithinTheLimit() {
        var configuration = AnalyzerConfiguration()
        configuration.maxHeaderBytes = 4096
        let context = AnalyzerContext(configuration: configuration)
        let session = RedisSession(endpoints: Conversation.endpoints, context: context)
        let junk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
        "+endless".bytes.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 1) }
        for _ in 0..<160 {  // 10 MiB of one status line
            junk.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 2) }
            #expect(session.parsers.server.buffer.pending.capacity <= 8192)
        }
        #expect(context.counters(.redis).oversized == 1)
        resp("PING").withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 3) }
        "\r\n+PONG\r\n".bytes.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 4) }
        #expect(Self.drain(context) == ["PING -> PONG"])
        #expect(context.counters(.redis).skippedBytes == 8 + 160 * (64 << 10) + 2)
    }

    @Test func deepNestingAndAbsurdCountsAreParseErrors() {
        let deep = Array(String(repeating: "*1\r\n", count: 40).utf8) + ":1\r\n".bytes
        let (events, counters) = Conversation(steps: [
            .client(resp("PING") + resp("X") + resp("Y"), at: 1),
            .server("+PONG\r\n".bytes + deep, at: 2), .server("*99999999999\r\n+OK\r\n".bytes, at: 3),
        ]).run(.redis)
        // The nesting fails at depth 32: X and Y are given up (which reply was whose is unknowable now);
        // the parser picks up inside the rest of that reply, then skips the absurd count.
        #expect(events.map { $0.redis!.summary } == ["PING -> PONG", "X -> ?", "Y -> ?", "? -> [[[[[[[1]]]]]]]", "? -> OK"])
        #expect(events.count == 5 && events[1].notes == ["reply could not be parsed"])
        #expect(counters.parseErrors == 2 && counters.unmatchedRequests == 2 && counters.unmatchedResponses == 2)
    }

    @Test func neverAnsweredPipelineIsCapped() {
        var configuration = AnalyzerConfiguration()
        configuration.maxPendingPerConnection = 16
        let context = AnalyzerContext(configuration: configuration)
        let session = RedisSession(endpoints: Conversation.endpoints, context: context)
        let commands = (0..<1000).flatMap { resp("SET", "k\($0)", "v") }
        commands.withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 1) }
        #expect(session.pending.count == 16)
        let counters = context.counters(.redis)
        #expect(counters.requests == 1000 && counters.evictions == 984 && counters.unmatchedRequests == 984)
        #expect(Self.drain(context).first == "SET k0 v -> ?")
    }

    @Test func detection() {
        func detect(_ text: String) -> ContentMatch { Array(text.utf8).withUnsafeBytes { RedisDetection.match($0) } }
        #expect(detect("*3\r\n$3\r\nSET\r\n") == .fromClient)
        #expect(detect("*1\r\n$4\r\nPING") == .fromClient)
        #expect(detect("*2\r\n$") == .needMore && detect("*") == .needMore && detect("") == .needMore)
        #expect(detect("PING\r\n") == .fromClient && detect("hello 3\r\n") == .fromClient && detect("PIN") == .needMore)
        #expect(detect("+OK\r\n") == .fromServer && detect("+PONG\r\n") == .fromServer && detect("+OK") == .needMore)
        #expect(detect("-ERR unknown command") == .fromServer && detect("-WRONGPASS x") == .fromServer)
        #expect(detect(":1\r\n") == .fromServer && detect("$5\r\nhello") == .fromServer && detect("%7\r\n") == .fromServer)
        #expect(detect("$-1\r\n") == .fromServer)
        // Other protocols: HTTP, memcache text, a MySQL greeting of length 42, TLS, SSH, SMTP.
        for other in ["GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "get key\r\n", "STORED\r\n", "VALUE k 0 1\r\n",
                      "*\u{0}\u{0}\u{0}\n5.7", "\u{16}\u{3}\u{1}", "SSH-2.0-OpenSSH", "220 mail ESMTP",
                      "+ok\r\n", "*3\r\n*1\r\n", "$abc\r\n", "PINGX", "-\r\n", "-1", "+O\u{1}"] {
            #expect(detect(other) == .no, "\(other.debugDescription)")
        }
    }
}
