import Testing
@testable import ScopeAnalyzers

/// Message parsing and pairing: startup and authentication, simple queries
/// (one transaction per statement), the extended protocol pipelined, errors,
/// COPY and asynchronous messages, and every split point.
@Suite struct PgSQLProtocolTests {
    static let login: [Conversation.Step] = [
        .client(PG.sslRequest, at: 1), .server([UInt8(ascii: "N")], at: 2),
        .client(PG.startup(), at: 3), .server(PG.md5Request, at: 4),
        .client(PG.password("md5deadbeefcafe0123456789abcdef0"), at: 5), .server(PG.loginDone, at: 6),
    ]

    static func run(_ steps: [Conversation.Step], configuration: AnalyzerConfiguration = AnalyzerConfiguration())
        -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        Conversation(steps: steps).run(.pgsql, configuration: configuration)
    }

    static func expectSplitsAgree(_ steps: [Conversation.Step], sourceLocation: SourceLocation = #_sourceLocation) {
        let results = Conversation(steps: steps).splitEverywhere(.pgsql)
        #expect(results.allSatisfy { $0 == results[0] }, sourceLocation: sourceLocation)
        #expect(!results[0].isEmpty, sourceLocation: sourceLocation)
    }

    @Test func loginThenSimpleQueryWithRows() throws {
        let steps = Self.login + [
            .client(PG.query("SELECT a, b FROM t"), at: 10),
            .server(PG.rowDescription(["a", "b"]) + PG.dataRow(["1", "x"]) + PG.dataRow(["2", "y"])
                    + PG.complete("SELECT 2") + PG.ready(), at: 11),
            .client(PG.terminate, at: 12),
        ]
        let (events, counters) = Self.run(steps)
        try #require(events.count == 1)
        let pgsql = try #require(events[0].pgsql)
        #expect(pgsql.query == "SELECT a, b FROM t" && pgsql.method == "SELECT" && !pgsql.extended)
        #expect(pgsql.numRows == 2 && pgsql.numFields == 2 && pgsql.commandTag == "SELECT 2")
        #expect(events[0].status == .ok && events[0].notes.isEmpty && events[0].duration == 1)
        #expect(events[0].requestBytes == UInt64(PG.query("SELECT a, b FROM t").count))
        let json = events[0].json
        #expect(json.contains("\"method\":\"SELECT\"") && json.contains("\"query\":\"SELECT a, b FROM t\""))
        #expect(json.contains("\"pgsql\":{\"num_rows\":2,\"num_fields\":2}"))
        #expect(!json.contains("deadbeef"))
        #expect(counters.requests == 1 && counters.responses == 1 && counters.matched == 1 && counters.parseErrors == 0)
        Self.expectSplitsAgree(steps)
    }

    @Test func multiStatementQueryGivesOneTransactionPerStatement() throws {
        let text = "BEGIN; INSERT INTO t VALUES (';'); SELECT 1/0; SELECT 2"
        let steps: [Conversation.Step] = [
            .client(PG.query(text), at: 10),
            .server(PG.complete("BEGIN") + PG.complete("INSERT 0 1") + PG.error("22012", "division by zero")
                    + PG.ready("E"), at: 11),
        ]
        let (events, counters) = Self.run(steps)
        #expect(events.map { $0.pgsql?.query } == ["BEGIN", "INSERT INTO t VALUES (';')", "SELECT 1/0"])
        #expect(events.map { $0.pgsql?.method } == ["BEGIN", "INSERT", "SELECT"])
        #expect(events.map(\.status) == [.ok, .ok, .error])
        try #require(events.count == 3)
        #expect(events[1].pgsql?.numRows == 1 && events[2].pgsql?.error?.code == "22012")
        #expect(events[2].notes == ["1 later statement of the query not executed"])
        #expect(events[2].json.contains("\"error_code\":\"22012\",\"error_message\":\"division by zero\",\"error_severity\":\"ERROR\""))
        // The request's bytes are counted once, on the first statement.
        #expect(events.map(\.requestBytes) == [UInt64(PG.query(text).count), 0, 0])
        #expect(counters.requests == 1 && counters.responses == 3 && counters.matched == 3)
        Self.expectSplitsAgree(steps)
    }

    @Test func extendedProtocolPipelinedBeforeOneSync() throws {
        let steps: [Conversation.Step] = [
            .client(PG.extended("SELECT v FROM t WHERE k = $1") + PG.extended("UPDATE t SET v = $1")
                    + PG.extended("SELECT 1, 2") + PG.sync, at: 10),
            .server(PG.parseComplete + PG.bindComplete + PG.rowDescription(["v"]) + PG.dataRow(["9"])
                    + PG.complete("SELECT 1"), at: 11),
            .server(PG.parseComplete + PG.bindComplete + PG.noData + PG.complete("UPDATE 7"), at: 12),
            .server(PG.parseComplete + PG.bindComplete + PG.rowDescription(["a", "b"]) + PG.dataRow(["1", "2"])
                    + PG.complete("SELECT 1") + PG.ready(), at: 13),
        ]
        let (events, counters) = Self.run(steps)
        #expect(events.map { $0.pgsql?.query } == ["SELECT v FROM t WHERE k = $1", "UPDATE t SET v = $1", "SELECT 1, 2"])
        #expect(events.map { $0.pgsql?.numRows } == [1, 7, 1])
        #expect(events.map { $0.pgsql?.numFields } == [1, 0, 2])
        #expect(events.allSatisfy { $0.status == .ok && $0.pgsql?.extended == true })
        #expect(events.map(\.end) == [11, 12, 13])
        #expect(counters.requests == 3 && counters.matched == 3 && counters.unmatchedRequests == 0)
        Self.expectSplitsAgree(steps)
    }

    @Test func errorInAPipelineSkipsToTheSyncWithNotes() throws {
        let steps: [Conversation.Step] = [
            .client(PG.extended("SELECT 1") + PG.extended("SELEC oops") + PG.extended("SELECT 3") + PG.sync, at: 10),
            .server(PG.parseComplete + PG.bindComplete + PG.rowDescription(["x"]) + PG.dataRow(["1"])
                    + PG.complete("SELECT 1") + PG.error("42601", "syntax error at or near \"SELEC\"")
                    + PG.ready(), at: 11),
            .client(PG.extended("SELECT 4") + PG.sync, at: 20),
            .server(PG.parseComplete + PG.bindComplete + PG.rows(["4"]) + PG.ready(), at: 21),
        ]
        let (events, counters) = Self.run(steps)
        #expect(events.map { $0.pgsql?.query } == ["SELECT 1", "SELEC oops", "SELECT 3", "SELECT 4"])
        #expect(events.map(\.status) == [.ok, .error, .error, .ok])
        try #require(events.count == 4)
        #expect(events[1].notes == ["failed at its parse"] && events[1].pgsql?.error?.code == "42601")
        #expect(events[2].notes == ["not executed: an earlier message of its pipeline failed"])
        #expect(events[2].pgsql?.hasResponse == false && events[3].pgsql?.numRows == 1)
        #expect(counters.unmatchedRequests == 1 && counters.matched == 3 && counters.unmatchedResponses == 0)
        Self.expectSplitsAgree(steps)
    }

    @Test func preparedStatementsByName() throws {
        let steps: [Conversation.Step] = [
            .client(PG.parse("SELECT v FROM t WHERE k = $1", name: "s1") + PG.describeStatement("s1") + PG.sync, at: 10),
            .server(PG.parseComplete + PG.parameterDescription + PG.rowDescription(["v"]) + PG.ready(), at: 11),
            .client(PG.bind(statement: "s1") + PG.describePortal() + PG.execute() + PG.sync, at: 12),
            .server(PG.bindComplete + PG.rows(["a", "b"]) + PG.ready(), at: 13),
            .client(PG.closeStatement("s1") + PG.sync, at: 14),
            .server(PG.closeComplete + PG.ready(), at: 15),
            .client(PG.bind(statement: "s1") + PG.execute() + PG.sync, at: 16),
            .server(PG.error("26000", "prepared statement \"s1\" does not exist") + PG.ready(), at: 17),
        ]
        let (events, _) = Self.run(steps)
        try #require(events.count == 2)
        #expect(events[0].pgsql?.query == "SELECT v FROM t WHERE k = $1" && events[0].pgsql?.numRows == 2)
        #expect(events[0].pgsql?.numFields == 1 && events[0].status == .ok)
        // After Close, the name means nothing: the error is reported on the Execute, text unknown.
        #expect(events[1].pgsql?.query == nil && events[1].pgsql?.error?.code == "26000")
        #expect(events[1].notes == ["statement text unknown", "failed at its bind"])
        Self.expectSplitsAgree(steps)
    }

    @Test func copyAndAsynchronousMessagesKeepPairing() throws {
        let steps: [Conversation.Step] = [
            .client(PG.query("COPY t FROM STDIN"), at: 10),
            .server(PG.copyInResponse, at: 11),
            .client(PG.copyData("1\tone\n") + PG.copyData("2\ttwo\n") + PG.copyDone, at: 12),
            .server(PG.complete("COPY 2") + PG.ready(), at: 13),
            .server(PG.notification("news", "hello") + PG.parameterStatus("TimeZone", "UTC"), at: 14),
            .client(PG.query("COPY t TO STDOUT"), at: 15),
            .server(PG.notice("careful") + PG.copyOutResponse + PG.copyData("1\n") + PG.copyData("2\n")
                    + PG.copyData("3\n") + PG.copyDone + PG.complete("COPY 3") + PG.ready(), at: 16),
            .client(PG.query("DO $$ BEGIN RAISE NOTICE 'x;y'; END $$"), at: 17),
            .server(PG.notice("x;y") + PG.complete("DO") + PG.ready(), at: 18),
            .client(PG.query(""), at: 19),
            .server(PG.emptyQuery + PG.ready(), at: 20),
        ]
        let (events, counters) = Self.run(steps)
        #expect(events.map { $0.pgsql?.commandTag } == ["COPY 2", "COPY 3", "DO", nil])
        #expect(events.map { $0.pgsql?.numRows } == [2, 3, 0, 0])
        #expect(events.map { $0.pgsql?.query } == ["COPY t FROM STDIN", "COPY t TO STDOUT",
                                                   "DO $$ BEGIN RAISE NOTICE 'x;y'; END $$", ""])
        #expect(events.allSatisfy { $0.status == .ok })
        #expect(counters.matched == 4 && counters.unmatchedResponses == 0 && counters.unmatchedRequests == 0)
        Self.expectSplitsAgree(steps)
    }

    @Test func failedLoginIsAnErrorWithoutARequest() throws {
        let steps: [Conversation.Step] = [
            .client(PG.startup(), at: 1), .server(PG.md5Request, at: 2), .client(PG.password("md5wrongwrong"), at: 3),
            .server(PG.error("28P01", "password authentication failed for user \"alice\"", severity: "FATAL"), at: 4),
        ]
        let (events, counters) = Self.run(steps)
        try #require(events.count == 1)
        #expect(events[0].pgsql?.error?.severity == "FATAL" && events[0].status == .error)
        #expect(events[0].notes == ["response without a request"] && !events[0].json.contains("wrongwrong"))
        #expect(counters.unmatchedResponses == 1 && counters.requests == 0)
    }

    @Test func passwordsInQueriesAreRedactedUnlessAskedNotTo() throws {
        let text = "ALTER ROLE alice PASSWORD 'hunter2''s' VALID UNTIL 'infinity'"
        let steps: [Conversation.Step] = [.client(PG.query(text), at: 1), .server(PG.complete("ALTER ROLE") + PG.ready(), at: 2)]
        let redacted = Self.run(steps).events
        #expect(redacted.first?.pgsql?.query == "ALTER ROLE alice PASSWORD '<redacted>' VALID UNTIL 'infinity'")
        #expect(redacted.first.map { !$0.json.contains("hunter2") } == true)
        var configuration = AnalyzerConfiguration()
        configuration.redactSecrets = false
        #expect(Self.run(steps, configuration: configuration).events.first?.pgsql?.query == text)
    }

    @Test func acceptedEncryptionStopsParsingQuietly() {
        let tls: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01] + Array(repeating: 0x51, count: 300)
        let (events, counters) = Self.run([
            .client(PG.sslRequest, at: 1), .server([UInt8(ascii: "S")], at: 2),
            .client(tls, at: 3), .server(tls, at: 4),
        ])
        #expect(events.isEmpty && counters.parseErrors == 0 && counters.skippedBytes == 0)
    }

    @Test func cancelAndRefusedGSSEncryptionAreStartupOnly() throws {
        let cancel = PG.int32(16) + PG.int32(80_877_102) + PG.int32(4242) + PG.int32(99)
        #expect(Self.run([.client(cancel, at: 1)]).events.isEmpty)
        let gss = PG.int32(8) + PG.int32(80_877_104)
        let (events, counters) = Self.run([
            .client(gss, at: 1), .server([UInt8(ascii: "N")], at: 2),
            .client(PG.sslRequest, at: 3), .server([UInt8(ascii: "N")], at: 4),
            .client(PG.startup(), at: 5), .server(PG.loginDone, at: 6),
            .client(PG.query("SHOW x"), at: 7),
            .server(PG.rowDescription(["x"]) + PG.dataRow(["on"]) + PG.complete("SHOW") + PG.ready(), at: 8),
        ])
        #expect(events.map { $0.pgsql?.numRows } == [1] && events.first?.pgsql?.method == "SHOW")
        #expect(counters.parseErrors == 0 && counters.matched == 1)
    }

    @Test func statementsSplitLikeTheServer() {
        #expect(PgSQLStatements.split("SELECT 1; SELECT 'a;b'; SELECT \"x;\" FROM t") ==
                ["SELECT 1", "SELECT 'a;b'", "SELECT \"x;\" FROM t"])
        #expect(PgSQLStatements.split("SELECT $$;$$, $tag$ ; $$ ; $tag$; SELECT $1") ==
                ["SELECT $$;$$, $tag$ ; $$ ; $tag$", "SELECT $1"])
        #expect(PgSQLStatements.split("-- a; comment\nSELECT 1 /* ; /* nested; */ */; ;; /* only */ ;") ==
                ["-- a; comment\nSELECT 1 /* ; /* nested; */ */"])
        #expect(PgSQLStatements.split("SELECT E'it\\'s;'; SELECT 'it''s;'") == ["SELECT E'it\\'s;'", "SELECT 'it''s;'"])
        #expect(PgSQLStatements.split("") == [] && PgSQLStatements.split("SELECT 'unterminated;") == ["SELECT 'unterminated;"])
        #expect(PgSQLStatements.method("  /* c */ (select 1) union select 2") == "SELECT")
        #expect(PgSQLStatements.method("-- x\nwith a as (select 1) select * from a") == "WITH")
        #expect(PgSQLStatements.method(";") == nil && PgSQLStatements.method("") == nil)
    }
}
