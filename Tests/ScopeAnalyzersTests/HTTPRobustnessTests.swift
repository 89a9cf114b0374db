import Testing
@testable import ScopeAnalyzers

/// Gaps, mid-stream starts and adversarial streams: resynchronisation, no
/// mispairing, and memory that stays bounded whatever the peer sends.
struct HTTPRobustnessTests {
    static let ok = http("HTTP/1.1 200 OK", "Content-Length: 2", "") + "ok".bytes

    static func get(_ path: String) -> [UInt8] { http("GET \(path) HTTP/1.1", "Host: h", "") }

    @Test func gapInsideAKnownLengthBodyIsAbsorbed() throws {
        let head = http("HTTP/1.1 200 OK", "Content-Length: 1000", "")
        let (events, counters) = Conversation(steps: [
            .client(Self.get("/big"), at: 1), .server(head + Array(repeating: 0x41, count: 100), at: 2),
            .serverGap(800, at: 3), .server(Array(repeating: 0x41, count: 100), at: 4),
            .client(Self.get("/next"), at: 5), .server(Self.ok, at: 6),
        ]).run()
        #expect(events.map { $0.http!.summary } == ["GET /big -> 200 OK", "GET /next -> 200 OK"])
        try #require(events.count == 2)
        #expect(events[0].http?.response?.bodyBytes == 1000 && events[0].notes == ["800 body bytes lost in a gap"])
        #expect(counters.gaps == 1 && counters.gapsAbsorbed == 1 && counters.gapBytes == 800)
    }

    @Test func gapInResponseHeadersGivesUpTheRequestsAndResynchronises() throws {
        let (events, counters) = Conversation(steps: [
            .client(Self.get("/one") + Self.get("/two"), at: 1),
            .server(Array("HTTP/1.1 200 OK\r\nContent-Le".utf8), at: 2), .serverGap(40, at: 3),
            .server(Array("ngth: 2\r\n\r\nok".utf8) + Self.ok, at: 4),  // tail of /two's answer, then a stray one
            .client(Self.get("/three"), at: 5), .server(Self.ok, at: 6),
        ]).run()
        // Neither /one nor /two is paired with a response that might not be theirs.
        #expect(events.map { $0.http!.summary } == ["GET /one -> ?", "GET /two -> ?", "? -> 200 OK", "GET /three -> 200 OK"])
        try #require(!events.isEmpty)
        #expect(events[0].notes == ["response lost in a gap of 40 bytes"])
        #expect(counters.unmatchedRequests == 2 && counters.unmatchedResponses == 1 && counters.matched == 1)
        #expect(counters.skippedBytes > 0)
    }

    @Test func requestLostInAGapLeavesItsResponseUnmatched() {
        let (events, counters) = Conversation(steps: [
            .client(Self.get("/first"), at: 10), .server(Self.ok, at: 20),
            .clientGap(37, at: 25),  // "/lost" went missing
            .server(Self.ok, at: 30),  // its answer, before the next request even arrived
            .client(Self.get("/after"), at: 40), .server(Self.ok, at: 50),
        ]).run()
        #expect(events.map { $0.http!.summary } == ["GET /first -> 200 OK", "? -> 200 OK", "GET /after -> 200 OK"])
        #expect(counters.unmatchedResponses == 1 && counters.matched == 2)
    }

    @Test func midStreamStartSkipsToTheNextMessage() {
        let (events, counters) = Conversation(steps: [
            .server(Array("tail of an earlier body\r\nmore\r\n".utf8), at: 1),
            .client(Array("er=1 HTTP/1.1\r\nHost: h\r\n\r\n".utf8) + Self.get("/clean"), at: 2),
            .server(Self.ok, at: 3),
        ]).run()
        #expect(events.map { $0.http!.summary } == ["GET /clean -> 200 OK"])
        #expect(counters.parseErrors == 2 && counters.unmatchedResponses == 0)
    }

    @Test func endlessHeaderLineStaysWithinTheLimit() {
        var configuration = AnalyzerConfiguration()
        configuration.maxHeaderBytes = 4096
        let context = AnalyzerContext(configuration: configuration)
        let session = HTTPSession(endpoints: Conversation.endpoints, context: context)
        let junk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)
        Array("GET / HTTP/1.1\r\nX-Endless: ".utf8).withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 1) }
        for _ in 0..<160 {  // 10 MiB of one header line
            junk.withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 2) }
            #expect(session.parsers.client.lines.pending.capacity <= 8192)
        }
        #expect(context.counters(.http).oversized == 1)
        // Many short header lines: cut off by the total, not the line limit.
        let lines = Array(String(repeating: "X-A: b\r\n", count: 10_000).utf8)
        ("\r\n".bytes + Conversation.get + lines).withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 3) }
        #expect(context.counters(.http).oversized == 2 && session.pending.isEmpty)
        // Afterwards a well-formed exchange still pairs.
        Array("\r\n".utf8 + HTTPRobustnessTests.get("/fine")).withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 4) }
        HTTPRobustnessTests.ok.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 5) }
        var events: [TransactionEvent] = []
        context.drainEvents { events.append($0) }
        #expect(events.map { $0.http!.summary } == ["GET /fine -> 200 OK"])
    }

    @Test func oneGigabyteBodyIsCountedNotBuffered() {
        let context = AnalyzerContext(configuration: AnalyzerConfiguration())
        let session = HTTPSession(endpoints: Conversation.endpoints, context: context)
        HTTPRobustnessTests.get("/huge").withUnsafeBytes { session.deliver($0, fromClient: true, timestamp: 1) }
        http("HTTP/1.1 200 OK", "Content-Length: 1073741824", "").withUnsafeBytes {
            session.deliver($0, fromClient: false, timestamp: 2)
        }
        let block = [UInt8](repeating: 0x5A, count: 1 << 20)
        for _ in 0..<1024 { block.withUnsafeBytes { session.deliver($0, fromClient: false, timestamp: 3) } }
        #expect(session.parsers.server.lines.pending.capacity < 4096)
        var events: [TransactionEvent] = []
        context.drainEvents { events.append($0) }
        #expect(events.count == 1 && events.first?.http?.response?.bodyBytes == 1 << 30)
        #expect(events.first?.http?.response?.body == nil)
    }

    @Test func neverAnsweredPipelineIsBoundedByThePendingCap() {
        var configuration = AnalyzerConfiguration()
        configuration.maxPendingPerConnection = 8
        var steps: [Conversation.Step] = []
        for index in 0..<100 { steps.append(.client(Self.get("/\(index)"), at: UInt64(index))) }
        let conversation = Conversation(steps: steps, close: nil)
        let (events, counters) = conversation.run(configuration: configuration)
        #expect(counters.evictions == 92 && events.count == 92)
        #expect(events.first?.http?.request?.target == "/0" && events.first?.notes == ["more than 8 requests pending"])
    }

    @Test func bodyCaptureIsOptInAndCapped() {
        var configuration = AnalyzerConfiguration()
        configuration.bodyCapture = ["application/json"]
        configuration.maxCapturedBody = 8
        let (events, _) = Conversation(steps: [
            .client(http("POST /api HTTP/1.1", "Content-Type: application/json", "Content-Length: 13", "") + "{\"a\":\"bcdef\"}".bytes, at: 1),
            .server(HTTPRobustnessTests.ok, at: 2),
        ]).run(configuration: configuration)
        #expect(events.first?.http?.request?.body == Array("{\"a\":\"bc".utf8))
        #expect(events.first?.http?.response?.body == nil)
    }
}

extension Conversation {
    static let get = http("GET / HTTP/1.1", "Host: h")
}
