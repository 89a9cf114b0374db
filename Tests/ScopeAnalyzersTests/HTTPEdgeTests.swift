import Testing
@testable import ScopeAnalyzers

/// Issue 17's HTTP items byte by byte: every split of the stream gives the
/// same events, and what follows a broken message is still read.
struct HTTPEdgeTests {
    static let ok = http("HTTP/1.1 200 OK", "Content-Length: 2", "") + "ok".bytes

    func requestLine(_ text: String) -> (method: String, target: String, version: String, oddSpacing: Bool)? {
        Array(text.utf8).withUnsafeBytes { HTTPSyntax.parseRequestLine($0) }
    }

    @Test func requestLinesAsServersReadThem() {
        #expect(requestLine("GET / HTTP/1.1").map { "\($0)" } == "(method: \"GET\", target: \"/\", version: \"1.1\", oddSpacing: false)")
        #expect(requestLine("POST  /  HTTP/1.0")?.oddSpacing == true)
        #expect(requestLine("POST\t/a HTTP/1.0") == nil)  // the method ends at a space
        #expect(requestLine("GET /a HTTP/1.1 ")?.oddSpacing == true)
        #expect(requestLine("GET /").map { "\($0.version) \($0.oddSpacing)" } == "0.9 false")
        #expect(requestLine("GET / ").map { "\($0.version) \($0.oddSpacing)" } == "0.9 true")
        #expect(requestLine("POST /") == nil)  // HTTP/0.9 had only GET
        #expect(requestLine("GET / HTTP/1.1 x") == nil && requestLine("GET ") == nil)
    }

    /// The head of a response with broken chunking is reported; the next
    /// response on the connection is found again.
    @Test func brokenChunkingThenTheNextResponse() throws {
        let broken = http("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "", "3", "abc", "nothex", "x")
        let conversation = Conversation(steps: [
            .client(http("GET /a HTTP/1.1", "", "") + http("GET /b HTTP/1.1", "", ""), at: 1),
            .server(broken + Self.ok, at: 2),
        ])
        #expect(Set(conversation.splitEverywhere().map { $0.joined(separator: "|") }).count == 1)
        let (events, counters) = conversation.run()
        #expect(events.map { $0.http!.summary } == ["GET /a -> 200 OK", "GET /b -> 200 OK"])
        try #require(events.count == 2)
        #expect(events[0].http?.response?.bodyError == true && events[0].status == .error)
        #expect(events[1].status == .ok && counters.parseErrors == 1 && counters.matched == 2)
    }

    @Test func simpleRequestAndItsBareAnswer() {
        let conversation = Conversation(steps: [.client("GET /\r\n".bytes, at: 1), .server("<p>hi</p>".bytes, at: 2)])
        #expect(Set(conversation.splitEverywhere().map { $0.joined(separator: "|") }).count == 1)
        let (events, _) = conversation.run()
        #expect(events.map { $0.http!.summary } == ["GET / -> 0 "])
        #expect(events.first?.http?.response?.bodyBytes == 9 && events.first?.status == .ok)
    }

    @Test func prefaceEndsHTTP1OnTheConnection() {
        let preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".bytes + [0, 0, 0, 4, 0, 0, 0, 0, 0]
        let (events, counters) = Conversation(steps: [
            .client(preface, at: 1), .server([0, 0, 0, 4, 0, 0, 0, 0, 0], at: 2),
            .client(http("GET / HTTP/1.1", "", ""), at: 3),  // inside HTTP/2 framing, not a request
        ]).run()
        #expect(events.isEmpty && counters.requests == 0 && counters.parseErrors == 0)
    }
}
