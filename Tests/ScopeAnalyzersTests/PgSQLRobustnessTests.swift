import Testing
@testable import ScopeAnalyzers

/// Gaps, mid-stream starts, timeouts and adversarial streams: nothing is
/// mispaired, losses are counted, and memory stays bounded.
@Suite struct PgSQLRobustnessTests {
    static func run(_ steps: [Conversation.Step], configuration: AnalyzerConfiguration = AnalyzerConfiguration())
        -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        Conversation(steps: steps).run(.pgsql, configuration: configuration)
    }

    static let select = PG.query("SELECT 1")
    static let answer = PG.rows(["1"]) + PG.ready()

    @Test func gapInsideADataRowIsAbsorbed() throws {
        let row = PG.dataRow([String(repeating: "z", count: 1000)])
        let steps: [Conversation.Step] = [
            .client(PG.query("SELECT big FROM t"), at: 1),
            .server(PG.rowDescription(["big"]) + Array(row[..<100]), at: 2), .serverGap(800, at: 3),
            .server(Array(row[900...]) + PG.dataRow(["small"]) + PG.complete("SELECT 2") + PG.ready(), at: 4),
            .client(Self.select, at: 5), .server(Self.answer, at: 6),
        ]
        let (events, counters) = Self.run(steps)
        #expect(events.map { $0.pgsql?.numRows } == [2, 1])
        try #require(events.count == 2)
        #expect(events[0].notes == ["response bytes lost in a gap"] && events[1].notes.isEmpty)
        #expect(counters.gaps == 1 && counters.gapsAbsorbed == 1 && counters.gapBytes == 800 && counters.matched == 2)
        let split = Conversation(steps: steps).splitEverywhere(.pgsql)
        #expect(split.allSatisfy { $0 == split[0] })
    }

    @Test func responseGapGivesUpThePendingAndResynchronisesOnReadyForQuery() throws {
        let (events, counters) = Self.run([
            .client(PG.extended("SELECT a") + PG.sync + PG.extended("SELECT b") + PG.sync, at: 1),
            .server(PG.parseComplete + Array(PG.bindComplete.prefix(2)), at: 2), .serverGap(500, at: 3),
            // The rest of some row, then the ReadyForQuery that ends the second Sync group.
            .server([0x44, 0x00, 0x17, 0x00] + PG.complete("SELECT 1") + PG.ready(), at: 4),
            .client(Self.select, at: 5), .server(Self.answer, at: 6),
        ])
        #expect(events.map { $0.pgsql?.query } == ["SELECT a", "SELECT b", "SELECT 1"])
        try #require(events.count == 3)
        #expect(events[0].notes == ["response lost in a gap of 500 bytes"] && events[0].pgsql?.hasResponse == false)
        #expect(events[2].status == .ok && events[2].pgsql?.numRows == 1)
        #expect(counters.unmatchedRequests == 2 && counters.unmatchedResponses == 0 && counters.skippedBytes > 0)
    }

    @Test func requestLostInAGapLeavesItsAnswerUnmatched() throws {
        let (events, counters) = Self.run([
            .client(Self.select, at: 10), .server(Self.answer, at: 20),
            .clientGap(15, at: 25),  // a whole Query went missing
            .server(PG.rows(["2"]) + PG.ready(), at: 30),  // its answer
            .client(PG.query("SELECT 3"), at: 40), .server(PG.rows(["3"]) + PG.ready(), at: 50),
        ])
        #expect(events.map { $0.pgsql?.query } == ["SELECT 1", nil, "SELECT 3"])
        #expect(events.map(\.status) == [.ok, .error, .ok])
        #expect(counters.unmatchedResponses == 1 && counters.matched == 2 && counters.gapsAbsorbed == 0)
    }

    @Test func midStreamStartSkipsToTheNextBoundary() throws {
        let (events, counters) = Self.run([
            // The tail of a DataRow and of some result, then its ReadyForQuery.
            .server(Array("ow-data".utf8) + [0, 0, 0] + PG.complete("SELECT 9") + PG.ready(), at: 1),
            .client(Array("ECT 42 FROM t".utf8) + [0] + PG.sync, at: 2),  // tail of a Query, then a Sync
            .server(PG.ready(), at: 3),
            .client(PG.query("SELECT 5"), at: 4), .server(PG.rows(["5"]) + PG.ready(), at: 5),
        ])
        #expect(events.map { $0.pgsql?.query } == ["SELECT 5"])
        #expect(events.first?.status == .ok)
        #expect(counters.parseErrors == 2 && counters.unmatchedResponses == 0 && counters.skippedBytes > 0)
    }

    @Test func unansweredQueriesTimeOutAndLateAnswersAreUnmatched() throws {
        let (events, counters) = Self.run([
            .client(Self.select, at: 1_000_000_000),
            .expire(at: 5_000_000_000),
            .expire(at: 11_000_000_000),
            .server(Self.answer, at: 12_000_000_000),
        ])
        #expect(events.map { $0.pgsql?.query } == ["SELECT 1", nil])
        try #require(events.count == 2)
        #expect(events[0].notes == ["no response within 10000 ms"] && events[0].end == 11_000_000_000)
        #expect(counters.timeouts == 1 && counters.unmatchedRequests == 1 && counters.unmatchedResponses == 1)
    }

    @Test func oversizedMessagesAreSkippedExactlyWithoutBuffering() throws {
        var configuration = AnalyzerConfiguration()
        configuration.maxMessageSize = 4096
        let context = AnalyzerContext(configuration: configuration)
        let session = PgSQLSession(endpoints: Conversation.endpoints, context: context)
        func send(_ bytes: [UInt8], client: Bool, at time: UInt64) {
            bytes.withUnsafeBytes { session.deliver($0, fromClient: client, timestamp: time) }
        }
        // A 100 kB query: counted, skipped exactly, still paired (its text is not kept).
        let big = PG.query("SELECT '" + String(repeating: "a", count: 100_000) + "'")
        for start in stride(from: 0, to: big.count, by: 1000) {
            send(Array(big[start..<min(start + 1000, big.count)]), client: true, at: 1)
            #expect(session.parsers.client.bufferedBytes <= 8)
        }
        send(Self.answer, client: false, at: 2)
        // A DataRow announcing 2 GB: 10 MiB of it arrive, nothing is buffered.
        send(Self.select, client: true, at: 3)
        send(PG.rowDescription(["x"]) + [UInt8(ascii: "D"), 0x7F, 0xFF, 0xFF, 0xFF], client: false, at: 4)
        let chunk = [UInt8](repeating: 0x41, count: 64 << 10)
        for _ in 0..<160 {
            send(chunk, client: false, at: 5)
            #expect(session.parsers.server.bufferedBytes <= 8)
        }
        session.close(reason: .fin, timestamp: 6)
        var events: [TransactionEvent] = []
        context.drainEvents { events.append($0) }
        let counters = context.counters(.pgsql)
        #expect(counters.oversized == 2 && counters.parseErrors == 0)
        try #require(events.count == 2)
        #expect(events[0].pgsql?.query == nil && events[0].pgsql?.numRows == 1 && events[0].requestBytes == UInt64(big.count))
        #expect(events[0].notes == ["message of \(big.count) bytes over the size limit, not kept"])
        #expect(events[1].pgsql?.query == "SELECT 1" && events[1].status == .error)
        #expect(events[1].notes == ["a message over the size limit was skipped", "response incomplete: connection closed"])
    }

    @Test func neverAnsweredPipelineIsBounded() {
        var configuration = AnalyzerConfiguration()
        configuration.maxPendingPerConnection = 16
        let context = AnalyzerContext(configuration: configuration)
        let session = PgSQLSession(endpoints: Conversation.endpoints, context: context)
        // Names are bounded: prepared statements (and portals) past the limit are not remembered.
        for index in 0..<100 {
            PG.parse("SELECT 1", name: "s\(index)").withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 0) }
        }
        #expect(session.statements.count <= 16 && session.portals.count <= 16)
        let batch = (0..<100).flatMap { PG.extended("SELECT \($0)") } + PG.sync
        for round in 1...20 {
            batch.withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: UInt64(round)) }
            #expect(session.pending.count <= 16)
        }
        // The unnamed statement always has its slot.
        #expect(session.statements.count == 17 && session.portals.count == 1)
        session.close(reason: .fin, timestamp: 40)
        let counters = context.counters(.pgsql)
        #expect(counters.requests == 2000 && counters.unmatchedRequests == 2000)
        #expect(counters.evictions + 4 == 2000)  // 16 slots; the last four Executes wait with Parse/Bind/Describe/Sync
    }

    @Test func preparedStatementTextsHaveABudget() throws {
        var configuration = AnalyzerConfiguration()
        configuration.maxMessageSize = 4096
        let long = "SELECT '" + String(repeating: "x", count: 1000) + "'"
        var steps: [Conversation.Step] = []
        for index in 0..<5 { steps.append(.client(PG.parse(long, name: "s\(index)") + PG.sync, at: UInt64(index))) }
        steps.append(.server(Array(repeating: PG.parseComplete + PG.ready(), count: 5).flatMap { $0 }, at: 10))
        steps.append(.client(PG.bind(statement: "s3") + PG.execute() + PG.bind(statement: "s4") + PG.execute()
                             + PG.sync, at: 11))
        steps.append(.server(PG.bindComplete + PG.complete("SELECT 1") + PG.bindComplete + PG.complete("SELECT 1")
                             + PG.ready(), at: 12))
        let (events, counters) = Self.run(steps, configuration: configuration)
        // Four texts fit in 4096 bytes; the fifth name is kept without its text.
        #expect(events.map { $0.pgsql?.query } == [long, nil])
        #expect(events.map(\.notes) == [[], ["statement text unknown"]])
        #expect(counters.matched == 2)
    }

    @Test func garbageNeverTrapsAndStaysBounded() {
        var generator = PgSQLRandom(seed: 0x5EED)
        for round in 0..<50 {
            let context = AnalyzerContext(configuration: AnalyzerConfiguration())
            let session = PgSQLSession(endpoints: Conversation.endpoints, context: context)
            for step in 0..<40 {
                var bytes = (0..<Int(generator.next() % 600)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                if step % 7 == 0 { bytes += PG.query("SELECT \(round)") + PG.ready() }
                let client = generator.next() % 2 == 0
                bytes.withUnsafeBytes { session.deliver($0, fromClient: client, timestamp: UInt64(step)) }
                if step % 11 == 0 { session.gap(length: Int(generator.next() % 5000), fromClient: client, timestamp: UInt64(step)) }
                #expect(session.parsers.client.bufferedBytes <= 70_000 && session.parsers.server.bufferedBytes <= 4_200)
            }
            session.close(reason: .reset, timestamp: 99)
        }
    }

    @Test func detectionFromEitherSide() {
        func detect(_ bytes: [UInt8]) -> ContentMatch { bytes.withUnsafeBytes { PgSQLDetection.match($0) } }
        #expect(detect(PG.startup()) == .fromClient && detect(PG.sslRequest) == .fromClient)
        #expect(detect(Array(PG.startup().prefix(5))) == .needMore && detect([]) == .needMore)
        #expect(detect(PG.md5Request) == .fromServer && detect(PG.authOK + PG.ready()) == .fromServer)
        #expect(detect(PG.query("SELECT 1")) == .fromClient && detect(PG.ready()) == .fromServer)
        #expect(detect(Array(PG.query("SELECT 1").prefix(4))) == .needMore)
        // Other protocols' first bytes.
        #expect(detect(Array("GET / HTTP/1.1\r\n".utf8)) == .no && detect(Array("*1\r\n$4\r\nPING\r\n".utf8)) == .no)
        #expect(detect([0x4A, 0, 0, 0, 0x0A] + Array("5.5.5-10.11.6-MariaDB\0".utf8)) == .no)  // MySQL greeting
        #expect(detect([0x52, 0, 0, 0, 0x0A] + Array("8.0.36\0".utf8)) == .no)  // a greeting 82 bytes long
        #expect(detect([0x00, 0x1C, 0x12, 0x34, 0x01, 0x00, 0x00, 0x01]) == .no)  // DNS over TCP
        #expect(detect([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]) == .no)  // TLS
        #expect(detect(Array("get key\r\n".utf8)) == .no && detect(Array("QUIT\r\n".utf8)) == .no)
    }
}

/// Deterministic pseudo-random numbers for the garbage test.
struct PgSQLRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
