import Testing
@testable import ScopeAnalyzers

/// RESP command array: what redis-cli sends.
func resp(_ words: String...) -> [UInt8] {
    var text = "*\(words.count)\r\n"
    for word in words { text += "$\(word.utf8.count)\r\n\(word)\r\n" }
    return Array(text.utf8)
}

extension TransactionEvent {
    var redis: RedisTransaction? {
        if let redis = details as? RedisTransaction { return redis }
        return nil
    }
}

extension Conversation {
    func redisSummaries(configuration: AnalyzerConfiguration = AnalyzerConfiguration()) -> [String] {
        run(.redis, configuration: configuration).events.map { $0.redis?.summary ?? "not redis" }
    }
}

/// Message parsing, pairing and event fields.
@Suite struct RedisTests {
    @Test func plainCommandsPairWithTheirReplies() throws {
        let conversation = Conversation(steps: [
            .client(resp("SET", "k", "v"), at: 1), .server("+OK\r\n".bytes, at: 2),
            .client(resp("GET", "k"), at: 3), .server("$1\r\nv\r\n".bytes, at: 4),
            .client(resp("incr", "n"), at: 5), .server(":42\r\n".bytes, at: 6),
            .client(resp("LRANGE", "l", "0", "-1"), at: 7), .server("*2\r\n$1\r\na\r\n$-1\r\n".bytes, at: 8),
            .client(resp("GET", "missing"), at: 9), .server("$-1\r\n".bytes, at: 10),
        ])
        #expect(conversation.redisSummaries() == ["SET k v -> OK", "GET k -> v", "incr n -> 42",
                                                  "LRANGE l 0 -1 -> [a, nil]", "GET missing -> nil"])
        let (events, counters) = conversation.run(.redis)
        try #require(events.count == 5)
        let json = events[2].json
        #expect(json.contains(#""method":"INCR""#) && json.contains(#""resource":"n""#))
        #expect(json.contains(#""query":"incr n""#) && json.contains(#""redis":{"return_value":"42"}"#))
        #expect(events[0].requestBytes == 27 && events[0].responseBytes == 5 && events[0].status == .ok)
        #expect(counters.requests == 5 && counters.responses == 5 && counters.matched == 5)
    }

    @Test func errorReplyIsAnErrorEvent() throws {
        let (events, _) = Conversation(steps: [
            .client(resp("INCR", "s"), at: 1),
            .server("-ERR value is not an integer or out of range\r\n".bytes, at: 2),
        ]).run(.redis)
        try #require(events.count == 1)
        #expect(events[0].status == .error)
        #expect(events[0].json.contains(#""redis":{"error":"ERR value is not an integer or out of range"}"#))
    }

    @Test func inlineCommands() {
        let conversation = Conversation(steps: [
            .client("PING\r\n\r\n*0\r\n*-1\r\nset  a   1\r\n".bytes, at: 1), .server("+PONG\r\n+OK\r\n".bytes, at: 2),
        ])
        #expect(conversation.redisSummaries() == ["PING -> PONG", "set a 1 -> OK"])
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
    }

    @Test func pipelinedCommandsPairInOrderAtEverySplit() {
        let conversation = Conversation(steps: [
            .client(resp("SET", "a", "1") + resp("GET", "a") + resp("LPUSH", "l", "x", "y") + resp("HGETALL", "h"), at: 1),
            .server("+OK\r\n$1\r\n1\r\n:2\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n".bytes, at: 2),
        ])
        #expect(conversation.redisSummaries() == ["SET a 1 -> OK", "GET a -> 1", "LPUSH l x y -> 2", "HGETALL h -> {f: v}"])
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
    }

    @Test func multiExecPairsEachCommandWithItsOwnReply() {
        let conversation = Conversation(steps: [
            .client(resp("MULTI"), at: 1), .server("+OK\r\n".bytes, at: 2),
            .client(resp("INCR", "a"), at: 3), .server("+QUEUED\r\n".bytes, at: 4),
            .client(resp("GET", "a"), at: 5), .server("+QUEUED\r\n".bytes, at: 6),
            .client(resp("EXEC"), at: 7), .server("*2\r\n:1\r\n$1\r\n1\r\n".bytes, at: 8),
        ])
        #expect(conversation.redisSummaries() == ["MULTI -> OK", "INCR a -> QUEUED", "GET a -> QUEUED", "EXEC -> [1, 1]"])
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
    }

    @Test func resp3TypesAndAttributes() {
        let reply = "%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n".bytes
        let conversation = Conversation(steps: [
            .client(resp("HELLO", "3"), at: 1), .server(reply, at: 2),
            .client(resp("X", "k"), at: 3),
            .server("*9\r\n_\r\n#t\r\n#f\r\n,3.14\r\n(12345678901234567890\r\n=7\r\ntxt:abc\r\n~1\r\n:1\r\n%0\r\n!5\r\nOOPS!\r\n".bytes, at: 4),
            .client(resp("GET", "k"), at: 5),
            .server("|1\r\n+key-popularity\r\n*1\r\n,0.19\r\n$1\r\nv\r\n".bytes, at: 6),  // attribute, then the reply
            .client(resp("GET", "x"), at: 7), .server("!10\r\nSYNTAX bad\r\n".bytes, at: 8),
            .client(resp("MGET", "a", "b"), at: 9), .server("*2\r\n|1\r\n+ttl\r\n:5\r\n$1\r\n1\r\n$1\r\n2\r\n".bytes, at: 10),
        ])
        #expect(conversation.redisSummaries() == [
            "HELLO 3 -> {server: redis, proto: 3}",
            "X k -> [nil, true, false, 3.14, 12345678901234567890, abc, [1], {}, OOPS!]",
            "GET k -> v", "GET x -> error SYNTAX bad", "MGET a b -> [1, 2]",
        ])
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
    }

    @Test func resp2PubSubMessagesArePushesAndConfirmationsPair() {
        let sub2 = "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n".bytes
        let message = "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n".bytes
        let conversation = Conversation(steps: [
            .client(resp("SUBSCRIBE", "a", "b"), at: 1),
            .server("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n".bytes + sub2, at: 2),
            .server(message, at: 3),
            .client(resp("PING"), at: 4), .server("*2\r\n$4\r\npong\r\n$0\r\n\r\n".bytes + message, at: 5),
            .client(resp("UNSUBSCRIBE"), at: 6),
            .server("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n".bytes, at: 7),
            .client(resp("LRANGE", "l", "0", "1"), at: 8), .server(message, at: 9),  // a list that looks like one
        ])
        #expect(conversation.redisSummaries() == [
            "SUBSCRIBE a b -> [subscribe, a, 1]", "push SUBSCRIBE b -> [subscribe, b, 2]",
            "push MESSAGE a -> [message, a, hi]", "PING -> [pong, ]", "push MESSAGE a -> [message, a, hi]",
            "UNSUBSCRIBE -> [unsubscribe, a, 1]", "push UNSUBSCRIBE b -> [unsubscribe, b, 0]",
            "LRANGE l 0 1 -> [message, a, hi]",
        ])
        let (events, counters) = conversation.run(.redis)
        #expect(events.allSatisfy { $0.status == .ok })
        #expect(events[2].json.contains(#""method":"MESSAGE","resource":"a","redis":{"return_value":"[message, a, hi]","push":true}"#))
        #expect(counters.responses == 8 && counters.matched == 4 && counters.unmatchedResponses == 0)
        #expect(Set(conversation.splitEverywhere(.redis)).count == 1)
    }

    @Test func resp3PushFrames() {
        let conversation = Conversation(steps: [
            .client(resp("SUBSCRIBE", "a"), at: 1), .server(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n".bytes, at: 2),
            .client(resp("GET", "k"), at: 3),
            .server(">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$2\r\nnx\r\n$1\r\nm\r\n$1\r\nv\r\n".bytes, at: 4),
        ])
        #expect(conversation.redisSummaries() == ["SUBSCRIBE a -> [subscribe, a, 1]",
                                                  "push PMESSAGE nx -> [pmessage, n*, nx, m]", "GET k -> v"])
    }

    @Test func monitorLinesArePushes() {
        let line = "+1700000000.123456 [0 127.0.0.1:5000] \"GET\" \"k\"\r\n".bytes
        #expect(Conversation(steps: [
            .client(resp("MONITOR"), at: 1), .server("+OK\r\n".bytes + line + line, at: 2),
        ]).redisSummaries() == ["MONITOR -> OK", "push MONITOR -> 1700000000.123456 [0 127.0.0.1:5000] \"GET\" \"k\"",
                                "push MONITOR -> 1700000000.123456 [0 127.0.0.1:5000] \"GET\" \"k\""])
    }

    @Test func clientReplyOffAndSkipExpectNoReply() {
        let conversation = Conversation(steps: [
            .client(resp("CLIENT", "REPLY", "SKIP") + resp("SET", "a", "1") + resp("GET", "a"), at: 1),
            .server("$1\r\n1\r\n".bytes, at: 2),
            .client(resp("CLIENT", "REPLY", "OFF") + resp("SET", "b", "2") + resp("CLIENT", "REPLY", "ON"), at: 3),
            .server("+OK\r\n".bytes, at: 4),
        ])
        #expect(conversation.redisSummaries() == ["CLIENT REPLY SKIP -> ?", "SET a 1 -> ?", "GET a -> 1",
                                                  "CLIENT REPLY OFF -> ?", "SET b 2 -> ?", "CLIENT REPLY ON -> OK"])
        #expect(conversation.run(.redis).events.allSatisfy { $0.status == .ok })
    }

    @Test func secretsAreRedacted() {
        let conversation = Conversation(steps: [
            .client(resp("AUTH", "user", "hunter2"), at: 1), .server("+OK\r\n".bytes, at: 2),
            .client(resp("HELLO", "3", "AUTH", "u", "pw", "SETNAME", "n"), at: 3), .server("%0\r\n".bytes, at: 4),
            .client(resp("MIGRATE", "h", "1", "k", "0", "5", "AUTH2", "u", "pw"), at: 5), .server("+NOKEY\r\n".bytes, at: 6),
            .client(resp("CONFIG", "SET", "requirepass", "s3cret"), at: 7), .server("+OK\r\n".bytes, at: 8),
            .client(resp("CONFIG", "GET", "requirepass"), at: 9),
            .server("*2\r\n$11\r\nrequirepass\r\n$6\r\ns3cret\r\n".bytes, at: 10),
            .client("AUTH hunter2\r\n".bytes, at: 11), .server("+OK\r\n".bytes, at: 12),
        ])
        let summaries = conversation.redisSummaries()
        #expect(summaries == ["AUTH <redacted> <redacted> -> OK", "HELLO 3 AUTH <redacted> <redacted> SETNAME n -> {}",
                              "MIGRATE h 1 k 0 5 AUTH2 <redacted> <redacted> -> NOKEY",
                              "CONFIG SET requirepass <redacted> -> OK", "CONFIG GET requirepass -> <redacted>",
                              "AUTH <redacted> -> OK"])
        let json = conversation.run(.redis).events.map(\.json).joined()
        #expect(!json.contains("hunter2") && !json.contains("s3cret") && !json.contains("pw"))
        var open = AnalyzerConfiguration()
        open.redactSecrets = false
        #expect(conversation.redisSummaries(configuration: open).first == "AUTH user hunter2 -> OK")
    }

    @Test func resourceOnlyForKeyedCommands() {
        let (events, _) = Conversation(steps: [
            .client(resp("SELECT", "1") + resp("HSET", "h", "f", "v") + resp("PING"), at: 1),
            .server("+OK\r\n:1\r\n+PONG\r\n".bytes, at: 2),
        ]).run(.redis)
        #expect(events.map { $0.redis?.command?.key } == [nil, "h", nil])
    }

    @Test func longValuesAreCappedInEvents() throws {
        let big = String(repeating: "x", count: 5000)
        let (events, _) = Conversation(steps: [
            .client(resp("SET", "k", big), at: 1), .server("+OK\r\n".bytes, at: 2),
            .client(resp("GET", "k"), at: 3), .server(Array("$5000\r\n\(big)\r\n".utf8), at: 4),
        ]).run(.redis)
        try #require(events.count == 2)
        #expect(events[0].redis!.command!.query.utf8.count <= RedisCommand.queryBytes + 3)
        #expect(events[1].redis!.reply!.text.utf8.count <= RedisLimits.renderBytes + 3)
        #expect(events[0].requestBytes == 5029 && events[1].responseBytes == 5009)
    }

    /// The packed lookup answers exactly what the set does: every keyless
    /// name, keyed commands, prefixes and extensions of names, long and
    /// non-ASCII names (a Kelvin sign is canonically a K).
    @Test func keylessLookupMatchesTheSet() {
        var names = Array(RedisCommand.keyless)
        names += ["SET", "GET", "INCR", "LPUSH", "HGETALL", "", "A", "AUT", "AUTHX", "EVALSHA_R", "EVALSHA_RO_",
                  "ZZZZZZZZZZZZZZZZ", "SUNSUBSCRIBEXXXX", "SUNSUBSCRIBEXXXXX", "\u{212A}EYS", "KEYS", "K\u{212A}",
                  "PİNG", "auth"]
        for name in names {
            #expect(RedisCommand.isKeyless(name) == RedisCommand.keyless.contains(name), "\(name)")
        }
    }
}
