import Testing
@testable import ScopeAnalyzers

/// Message parsing, pairing and events of the MySQL analyzer.
struct MySQLTests {
    typealias B = MySQLBuild

    static let session: [Conversation.Step] = B.handshake() + [
        .client(B.query("SELECT id, name FROM t"), at: 10),
        .server(B.resultSet(["id", "name"], [["1", "a"], ["2", "b"]]), at: 11),
        .client(B.query("  insert into t (name) values ('c')"), at: 20),
        .server(B.ok(affected: 1, insertID: 7), at: 21),
        .client(B.query("SELECT * FROM missing"), at: 30),
        .server(B.err(code: 1146, message: "Table 'db.missing' doesn't exist"), at: 31),
        .client(B.command(0x0E), at: 40), .server(B.ok(), at: 41),
        .client(B.command(0x01), at: 50),
    ]

    @Test func loginThenCommandsPair() throws {
        let (events, counters) = Conversation(steps: Self.session).runMySQL()
        #expect(events.summaries == ["SELECT id, name FROM t -> 2 rows", "insert into t (name) values ('c') -> OK 1 affected",
                                     "SELECT * FROM missing -> ERR 1146", "PING -> OK 0 affected", "QUIT"])
        try #require(events.count == 5)
        #expect(events.map { $0.mysql?.request?.method } == ["SELECT", "INSERT", "SELECT", "PING", "QUIT"])
        #expect(events.map(\.status) == [.ok, .ok, .error, .ok, .ok])
        let select = try #require(events[0].mysql?.response)
        #expect(select.numRows == 2 && select.numFields == 2 && select.path == "db.t" && select.resultSets == 1)
        #expect(events[0].start == 10 && events[0].end == 11)
        #expect(events[1].json.contains(#""mysql":{"command":"QUERY","affected_rows":1,"insert_id":7,"num_rows":0,"num_fields":0}"#))
        #expect(events[2].json.contains(#""error_code":1146,"sql_state":"42S02","error_message":"Table 'db.missing' doesn't exist""#))
        #expect(events[0].json.contains(#""method":"SELECT","query":"SELECT id, name FROM t","path":"db.t""#))
        #expect(counters.requests == 5 && counters.responses == 4 && counters.matched == 5 && counters.transactions == 5)
        #expect(counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0 && counters.parseErrors == 0)
        // The log-in is not an event, and its auth response never shows.
        #expect(events.allSatisfy { !$0.json.contains("SECRET") && !$0.line.contains("SECRET") })
    }

    @Test func everySplitPointGivesTheSameEvents() {
        let conversation = Conversation(steps: Self.session + [
            .client(B.command(0x16, Array("SELECT ? + ?".utf8)), at: 60),
            .server(B.prepareOK(statement: 3, columns: 1, params: 2), at: 61),
            .client(B.execute(3, [.int(-5), .string("x")]), at: 62),
            .server(B.resultSet(["r"], [["1"]]), at: 63),
        ])
        let results = conversation.splitEverywhere(.mysql)
        #expect(results.count > 10 && results.allSatisfy { $0 == results[0] } && results[0].count == 7)
    }

    @Test func deprecateEOFResultSets() throws {
        let caps = B.baseCapabilities | B.deprecateEOF
        let (events, _) = Conversation(steps: B.handshake(capabilities: caps) + [
            .client(B.query("SELECT a FROM t"), at: 10),
            .server(B.resultSet(["a"], [["1"], ["2"], ["3"]], deprecateEOF: true), at: 11),
            .client(B.query("SELECT a FROM t WHERE 0"), at: 20),
            .server(B.resultSet(["a"], [], deprecateEOF: true), at: 21),
            .client(B.query("SELECT 1"), at: 30), .server(B.resultSet(["1"], [["1"]], deprecateEOF: true), at: 31),
        ]).runMySQL()
        #expect(events.summaries == ["SELECT a FROM t -> 3 rows", "SELECT a FROM t WHERE 0 -> 0 rows", "SELECT 1 -> 1 rows"])
    }

    @Test func withoutTheHandshakeBothEOFStylesAreRecognised() {
        // Capture started mid-connection: capabilities unknown, decided by the packets' lengths.
        let (events, counters) = Conversation(steps: [
            .client(B.query("SELECT a FROM t WHERE 0"), at: 10),
            .server(B.resultSet(["a"], [], deprecateEOF: true), at: 11),
            .client(B.query("SELECT a FROM t WHERE 0"), at: 20),
            .server(B.resultSet(["a"], []), at: 21),
            .client(B.query("SELECT a FROM t"), at: 30),
            .server(B.resultSet(["a"], [["1"]], deprecateEOF: true), at: 31),
        ]).runMySQL()
        #expect(events.summaries == ["SELECT a FROM t WHERE 0 -> 0 rows", "SELECT a FROM t WHERE 0 -> 0 rows",
                                     "SELECT a FROM t -> 1 rows"])
        #expect(counters.unmatchedResponses == 0)
    }

    @Test func multipleResultsAreOneTransaction() throws {
        let (events, _) = Conversation(steps: B.handshake() + [
            .client(B.query("SELECT 1; SELECT 2, 3"), at: 10),
            .server(B.resultSet(["1"], [["1"]], more: true) + B.resultSet(["2", "3"], [["2", "3"], ["4", "5"]], firstSequence: 4), at: 11),
            .client(B.query("INSERT INTO t VALUES (1); DELETE FROM t"), at: 20),
            .server(B.ok(affected: 1, status: 0x000A) + B.ok(2, affected: 4), at: 21),
            .client(B.query("SELECT 1; SELECT nope"), at: 30),
            .server(B.resultSet(["1"], [["1"]], more: true) + B.err(4, code: 1054, state: "42S22", message: "Unknown column"), at: 31),
        ]).runMySQL()
        try #require(events.count == 3)
        let first = try #require(events[0].mysql?.response)
        #expect(first.resultSets == 2 && first.numRows == 3 && first.numFields == 1)
        #expect(events[0].json.contains(#""result_sets":2"#))
        #expect(events[1].mysql?.response?.affectedRows == 5 && events[1].status == .ok)
        #expect(events[2].status == .error && events[2].mysql?.response?.errorCode == 1054 && events[2].mysql?.response?.numRows == 1)
    }

    @Test func preparedStatementsCarryTheirTextAndParameters() throws {
        let (events, counters) = Conversation(steps: B.handshake() + [
            .client(B.command(0x16, Array("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)".utf8)), at: 10),
            .server(B.prepareOK(statement: 5, columns: 0, params: 7), at: 11),
            .client(B.execute(5, [.int(-42), .string("café"), .double(2.5), .null, .date(2024, 5, 7), .unsignedTiny(200),
                                  .time(negative: true, days: 1, hour: 2, minute: 3, second: 4)]), at: 12),
            .server(B.ok(affected: 1, insertID: 9), at: 13),
            // Types reused from the previous execute (new_params_bound_flag 0).
            .client(B.execute(5, [.int(1), .string("b"), .double(0.5), .null, .date(2000, 1, 1), .unsignedTiny(1),
                                  .time(negative: false, days: 0, hour: 0, minute: 0, second: 1)], bind: false), at: 14),
            .server(B.ok(affected: 1), at: 15),
            .client(B.command(0x19, B.le(5, 4)), at: 16),  // STMT_CLOSE: no response
            .client(B.execute(5, [.int(1)]), at: 17),  // closed: unknown now
            .server(B.err(code: 1243, state: "HY000", message: "Unknown prepared statement handler"), at: 18),
        ]).runMySQL()
        try #require(events.count == 5)
        #expect(events[0].mysql?.request?.method == "PREPARE" && events[0].json.contains(#""statement_id":5"#))
        #expect(events[0].mysql?.response?.paramCount == 7 && events[0].json.contains(#""num_params":7"#))
        let execute = try #require(events[1].mysql?.request)
        #expect(execute.method == "INSERT" && execute.query == "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)")
        #expect(execute.params == ["-42", "café", "2.5", "NULL", "2024-05-07", "200", "-26:03:04"])
        #expect(events[1].json.contains(#""params":["-42","café","2.5","NULL","2024-05-07","200","-26:03:04"]"#))
        #expect(events[2].mysql?.request?.params == ["1", "b", "0.5", "NULL", "2000-01-01", "1", "00:00:01"])
        #expect(events[3].mysql?.summary == "STMT_CLOSE 5" && events[3].status == .ok && events[3].isMatched)
        #expect(events[4].mysql?.request?.query == "STMT_EXECUTE 5" && events[4].notes.first == "statement 5 was prepared before the capture")
        #expect(counters.matched == 5 && counters.requests == 5 && counters.responses == 4)
    }

    @Test func pipelinedCommandsPairInOrder() {
        let (events, _) = Conversation(steps: B.handshake() + [
            .client(B.query("SELECT a FROM t") + B.command(0x19, B.le(1, 4)) + B.query("UPDATE t SET a = 1") + B.command(0x0E), at: 10),
            .server(B.resultSet(["a"], [["1"]]) + B.ok(affected: 3) + B.ok(), at: 11),
        ]).runMySQL()
        #expect(events.summaries == ["STMT_CLOSE 1", "SELECT a FROM t -> 1 rows", "UPDATE t SET a = 1 -> OK 3 affected",
                                     "PING -> OK 0 affected"])
    }

    @Test func otherCommandShapes() {
        let fieldList = B.column(1, "id") + B.column(2, "name") + B.eof(3)
        let (events, counters) = Conversation(steps: B.handshake() + [
            .client(B.command(0x02, Array("shop".utf8)), at: 10), .server(B.ok(), at: 11),
            .client(B.command(0x04, Array("items\0".utf8)), at: 12), .server(fieldList, at: 13),
            .client(B.command(0x09), at: 14), .server(B.packet(1, Array("Uptime: 5  Threads: 1".utf8)), at: 15),
            .client(B.command(0x1B, [0, 0]), at: 16), .server(B.eof(1), at: 17),  // SET_OPTION answers EOF
        ]).runMySQL()
        #expect(events.map { $0.mysql?.request?.query } == ["INIT_DB shop", "FIELD_LIST items", "STATISTICS", "SET_OPTION"])
        #expect(events.map { $0.mysql?.response?.numFields } == [0, 2, 0, 0])
        #expect(counters.unmatchedResponses == 0 && events.allSatisfy { $0.status == .ok })
    }

    @Test func refusedLoginIsReportedWithTheUserOnly() throws {
        let (events, _) = Conversation(steps: [
            .server(B.greeting(), at: 1), .client(B.login(user: "alice"), at: 2),
            .server(B.packet(2, [0xFE] + Array("mysql_native_password\0".utf8) + Array(repeating: 0x63, count: 20)), at: 3),  // auth switch
            .client(B.packet(3, Array("ANOTHER-SECRET-HASH!".utf8)), at: 4),
            .server(B.err(4, code: 1045, state: "28000", message: "Access denied for user 'alice'"), at: 5),
        ]).runMySQL()
        let event = try #require(events.first)
        #expect(events.count == 1 && event.status == .error && event.mysql?.request?.method == "LOGIN")
        #expect(event.json.contains(#""user":{"name":"alice"}"#) && event.json.contains(#""error_code":1045"#))
        #expect(!event.json.contains("SECRET") && !event.json.contains("mysql_native_password"))
    }

    @Test func tlsStopsParsingAndIsCounted() {
        let (events, counters) = Conversation(steps: [
            .server(B.greeting(capabilities: B.baseCapabilities | 0x800), at: 1), .client(B.sslRequest(), at: 2),
            .client([0x16, 0x03, 0x01, 0x00, 0x10] + Array(repeating: 0x11, count: 16), at: 3),
            .server([0x16, 0x03, 0x03, 0x00, 0x08] + Array(repeating: 0x22, count: 8), at: 4),
        ]).runMySQL()
        #expect(events.isEmpty && counters.skippedBytes == 21 + 13 && counters.parseErrors == 0)
        #expect(counters.tlsSwitches == 1 && counters.fields.contains { $0 == ("tls_switches", 1) })
    }

    @Test func contentDetection() {
        func detect(_ bytes: [UInt8]) -> ContentMatch { bytes.withUnsafeBytes { MySQLDetection.match($0) } }
        let greeting = B.greeting()
        #expect(detect(greeting) == .fromServer && detect(Array(greeting.prefix(9))) == .fromServer)
        #expect(detect(B.greeting(version: "8.0.36")) == .fromServer && detect(B.greeting(version: "5.5.5-10.11.6-MariaDB")) == .fromServer)
        for length in 1...7 { #expect(detect(Array(greeting.prefix(length))) == .needMore, "greeting prefix \(length)") }
        #expect(detect(B.query("SELECT 1")) == .fromClient && detect(B.query("insert into t values (1)")) == .fromClient)
        #expect(detect(Array(B.query("SELECT 1").prefix(8))) == .needMore)
        #expect(detect(B.query("HELLO world")) == .no && detect(B.ok()) == .no)
        for other in ["GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "*1\r\n$4\r\nPING\r\n", "+OK\r\n", "get key\r\n",
                      "VALUE k 0 1\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "220 smtp ESMTP\r\n"] {
            #expect(detect(Array(other.utf8)) == .no, "\(other)")
        }
        // PostgreSQL startup and TLS ClientHello, DNS over TCP.
        #expect(detect([0, 0, 0, 8, 4, 0xD2, 0x16, 0x2F]) == .no && detect([0x16, 3, 1, 0, 0xA5, 1, 0, 0]) == .no)
        #expect(detect([0, 0x1D, 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0]) == .no)
    }
}

extension MySQLTests {
    @Test func localInfileAndChangeUserExchangesStayOneTransaction() {
        let (events, counters) = Conversation(steps: B.handshake() + [
            .client(B.query("LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE t"), at: 10),
            .server(B.packet(1, [0xFB] + Array("/tmp/x".utf8)), at: 11),
            .client(B.packet(2, Array("1\n2\n".utf8)) + B.packet(3, []), at: 12),
            .server(B.ok(4, affected: 2), at: 13),
            .client(B.command(0x11, Array("bob\0".utf8) + [20] + Array("CHANGE-USER-SECRET!!".utf8)), at: 20),
            .server(B.packet(1, [0xFE] + Array("mysql_native_password\0".utf8) + Array(repeating: 0x63, count: 20)), at: 21),
            .client(B.packet(2, Array("AUTH-SWITCH-SECRET!!".utf8)), at: 22),
            .server(B.ok(3), at: 23),
            .client(B.query("SELECT 1"), at: 30), .server(B.resultSet(["1"], [["1"]]), at: 31),
        ]).runMySQL()
        #expect(events.summaries == ["LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE t -> OK 2 affected", "CHANGE_USER -> OK 0 affected",
                                     "SELECT 1 -> 1 rows"])
        #expect(events.first?.requestBytes == UInt64(B.query("LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE t").count + 12))
        #expect(counters.unmatchedResponses == 0 && events.allSatisfy { !$0.json.contains("SECRET") })
    }
}
