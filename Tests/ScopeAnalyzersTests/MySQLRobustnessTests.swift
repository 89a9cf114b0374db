import Testing
@testable import ScopeAnalyzers

/// Gaps, mid-stream starts, timeouts and adversarial streams: no mispairing,
/// losses counted, and memory bounded whatever the peer sends.
struct MySQLRobustnessTests {
    typealias B = MySQLBuild

    static func session(_ configuration: AnalyzerConfiguration = AnalyzerConfiguration()) -> (MySQLSession, AnalyzerContext) {
        let context = AnalyzerContext(configuration: configuration)
        return (MySQLSession(endpoints: Conversation.endpoints, context: context), context)
    }

    static func events(_ context: AnalyzerContext) -> [TransactionEvent] {
        var events: [TransactionEvent] = []
        context.drainEvents { events.append($0) }
        return events
    }

    @Test func payloadsOver16MiBSpanContinuationPacketsAndAreCutAtTheLimit() throws {
        var configuration = AnalyzerConfiguration()
        configuration.maxMessageSize = 4096
        let (session, context) = Self.session(configuration)
        // A 16 MiB + 10 byte query: one full 0xFFFFFF packet, then the last 11 bytes.
        var payload = [UInt8](repeating: UInt8(ascii: "x"), count: 0xFF_FFFF + 11)
        payload.replaceSubrange(0..<12, with: Array("\u{3}SELECT 'xxx".utf8))
        var wire = B.packet(0, Array(payload[..<0xFF_FFFF])) + B.packet(1, Array(payload[0xFF_FFFF...]))
        wire[0...2] = [0xFF, 0xFF, 0xFF]
        var offset = 0
        while offset < wire.count {  // as segments of 64 KiB
            let end = min(wire.count, offset + 65_536)
            wire[offset..<end].withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 1) }
            offset = end
            #expect(session.clientFramer.heldCapacity <= 8192)
        }
        (B.ok() + B.packet(2, [])).withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 2) }
        B.query("SELECT 2").withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 3) }
        B.resultSet(["2"], [["2"]]).withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 4) }
        let events = Self.events(context)
        try #require(events.count == 3)
        let big = try #require(events[0].mysql?.request)
        #expect(big.query.utf8.count == 4095 && big.query.hasPrefix("SELECT 'xxx") && events[0].requestBytes == UInt64(wire.count))
        #expect(events[0].notes == ["request of \(0xFF_FFFF + 11) bytes truncated to 4096"])
        #expect(context.counters(.mysql).oversized == 1)
        // The empty packet after the OK answers nothing: reported, not paired with the next query.
        #expect(events[1].mysql?.request == nil && events[2].mysql?.summary == "SELECT 2 -> 1 rows")
    }

    @Test func hugeRowsAndLengthPrefixesStayBounded() {
        var configuration = AnalyzerConfiguration()
        configuration.maxMessageSize = 1024
        let (session, context) = Self.session(configuration)
        B.query("SELECT blob FROM t").withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 1) }
        // A result whose one row claims 16 MiB - 2 bytes, fed 1 MiB at a time.
        let head = B.packet(1, [1]) + B.column(2, "blob") + B.eof(3) + [0xFE, 0xFF, 0xFF, 4, 0xFD, 0xFA, 0xFF, 0xFF]
        head.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 2) }
        let chunk = [UInt8](repeating: 0x41, count: 1 << 20)
        for _ in 0..<15 {
            chunk.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 3) }
            #expect(session.serverFramer.heldCapacity <= 4096)
        }
        let rest = 0xFF_FFFE - 4 - 15 * (1 << 20)
        ([UInt8](repeating: 0x41, count: rest) + B.eof(5)).withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 4) }
        let events = Self.events(context)
        #expect(events.count == 1 && events.first?.mysql?.response?.numRows == 1 && context.counters(.mysql).oversized == 1)
    }

    @Test func gapInAResponseGivesUpItsRequestsAndResynchronises() {
        let result = B.resultSet(["a"], (0..<5).map { ["row \($0)"] })
        let (events, counters) = Conversation(steps: B.handshake() + [
            .client(B.query("SELECT a FROM big"), at: 10),
            .server(Array(result[..<30]), at: 11), .serverGap(20, at: 12), .server(Array(result[50...]), at: 13),
            .client(B.query("SELECT 1"), at: 20), .server(B.resultSet(["1"], [["1"]]), at: 21),
        ]).runMySQL()
        #expect(events.summaries == ["SELECT a FROM big -> 0 rows", "SELECT 1 -> 1 rows"])
        #expect(events.first?.notes == ["response incomplete: 20 bytes lost in a gap"] && events.first?.status == .error)
        #expect(counters.gaps == 1 && counters.gapBytes == 20 && counters.skippedBytes > 0 && counters.unmatchedResponses == 0)
    }

    @Test func requestLostInAGapLeavesItsResponseUnmatched() {
        let (events, counters) = Conversation(steps: B.handshake() + [
            .client(B.query("SELECT 1"), at: 10), .server(B.resultSet(["1"], [["1"]]), at: 11),
            .client(Array(B.query("UPDATE t SET a = 2").prefix(7)), at: 20), .clientGap(15, at: 21),
            .server(B.ok(affected: 2), at: 22),  // the lost UPDATE's answer
            .client(B.query("SELECT 3"), at: 30), .server(B.resultSet(["3"], [["3"]]), at: 31),
        ]).runMySQL()
        #expect(events.summaries == ["SELECT 1 -> 1 rows", "? -> OK 2 affected", "SELECT 3 -> 1 rows"])
        #expect(counters.unmatchedResponses == 1 && counters.matched == 2 && counters.skippedBytes == 7)
    }

    @Test func midStreamStartSkipsToAMessageStart() {
        let rows = B.resultSet(["a"], [["tail"], ["more"]], firstSequence: 7)
        let (events, counters) = Conversation(steps: [
            .server(Array(rows[9...]), at: 1),  // inside a column definition of an earlier answer
            .client(Array(B.query("SELECT 9")[3...]), at: 2),  // inside an earlier command
            .client(B.query("SELECT a FROM t"), at: 3), .server(B.resultSet(["a"], [["x"]]), at: 4),
        ]).runMySQL()
        #expect(events.summaries.last == "SELECT a FROM t -> 1 rows")
        #expect(events.filter { $0.mysql?.request != nil }.count == 1 && counters.matched == 1)
    }

    @Test func unansweredRequestsTimeOutOrEndWithTheConnection() {
        let (events, counters) = Conversation(steps: B.handshake() + [
            .client(B.query("SELECT SLEEP(100)"), at: 1_000_000_000), .expire(at: 11_000_000_000),
            .client(B.query("SELECT 2"), at: 12_000_000_000),
        ], close: .reset).runMySQL()
        #expect(events.map(\.notes) == [["no response within 10000 ms"], ["no response before connection reset"]])
        #expect(events.allSatisfy { $0.status == .error } && counters.timeouts == 1 && counters.unmatchedRequests == 2)
    }

    @Test func responseCutByTheCloseIsReportedIncomplete() {
        let result = B.resultSet(["a"], [["1"], ["2"]])
        let (events, _) = Conversation(steps: B.handshake() + [
            .client(B.query("SELECT a FROM t"), at: 10), .server(Array(result[..<(result.count - 9)]), at: 11),
        ]).runMySQL()
        #expect(events.summaries == ["SELECT a FROM t -> 2 rows"] && events.first?.notes == ["response incomplete at connection closed"])
        #expect(events.first?.status == .error)
    }

    @Test func neverAnsweredPipelineIsBounded() {
        var configuration = AnalyzerConfiguration()
        configuration.maxPendingPerConnection = 4
        let (session, context) = Self.session(configuration)
        for index in 0..<1000 {
            B.query("SELECT \(index)").withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: UInt64(index)) }
            #expect(session.pending.count <= 4)
        }
        let counters = context.counters(.mysql)
        #expect(counters.evictions == 996 && counters.unmatchedRequests == 996)
        let (fresh, _) = Self.session(configuration)
        for index in 0..<100 {  // prepared statements, never closed: the table keeps the newest
            B.command(0x16, Array("SELECT ?".utf8)).withUnsafeBytes { fresh.deliver($0, fromClient: true, timestamp: 2000) }
            B.prepareOK(statement: UInt32(index), columns: 0, params: 1).withUnsafeBytes {
                fresh.deliver($0, fromClient: false, timestamp: 2001)
            }
        }
        #expect(fresh.statements.count == 4 && fresh.statements.forgotten == 96 && fresh.statements[99] != nil)
    }

    @Test func garbageNeverTrapsAndStaysBounded() {
        var configuration = AnalyzerConfiguration()
        configuration.maxMessageSize = 2048
        var generator = SystemRandomNumberGenerator()
        for round in 0..<30 {
            let (session, _) = Self.session(configuration)
            for step in 0..<40 {
                let bytes = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes.withUnsafeBytes { session.deliver($0, fromClient: (round + step) % 2 == 0, timestamp: UInt64(step)) }
                if step % 13 == 0 { session.gap(length: 5, fromClient: step % 2 == 0, timestamp: UInt64(step)) }
            }
            session.close(reason: .fin, timestamp: 100)
            #expect(session.clientFramer.heldCapacity <= 4096 && session.serverFramer.heldCapacity <= 4096)
        }
    }
}
