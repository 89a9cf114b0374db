import Testing
@testable import ScopeAnalyzers

/// HTTP/1.x framing on hand-built streams. Every conversation is also run
/// with each delivery cut at every byte and byte by byte: incremental
/// parsing must not change a single field.
struct HTTPFramingTests {
    static let page = http("HTTP/1.1 200 OK", "Content-Type: text/html; charset=utf-8", "Content-Length: 5", "") + "hello".bytes

    func expectSplitInvariant(_ conversation: Conversation, sourceLocation: SourceLocation = #_sourceLocation) {
        let results = conversation.splitEverywhere()
        for result in results.dropFirst() where result != results[0] {
            Issue.record("split changed the events:\n\(result)\nvs\n\(results[0])", sourceLocation: sourceLocation)
            return
        }
    }

    @Test func keepAliveContentLengthAndNotFound() throws {
        let conversation = Conversation(steps: [
            .client(http("GET /index.html HTTP/1.1", "Host: example.test", "User-Agent: curl/7.88", ""), at: 1_000),
            .server(Self.page, at: 2_000),
            .client(http("POST /form HTTP/1.1", "Host: example.test", "Content-Length: 11", "") + "a=1&b=hello".bytes, at: 3_000),
            .server(http("HTTP/1.1 200 OK", "Content-Length: 0", ""), at: 4_000),
            .client(http("GET /missing HTTP/1.1", "Host: example.test", ""), at: 5_000),
            .server(http("HTTP/1.1 404 Not Found", "Content-Length: 3", "") + "no\n".bytes, at: 6_000),
        ])
        let (events, counters) = conversation.run()
        #expect(events.map { $0.http!.summary } == ["GET /index.html -> 200 OK", "POST /form -> 200 OK", "GET /missing -> 404 Not Found"])
        #expect(events.map(\.status) == [.ok, .ok, .error])
        try #require(events.count == 3)
        let first = try #require(events[0].http)
        #expect(first.request?.host == "example.test" && first.request?.userAgent == "curl/7.88")
        #expect(first.response?.mimeType == "text/html" && first.response?.bodyBytes == 5)
        #expect(events[0].responseBytes == UInt64(Self.page.count))
        #expect(events[0].start == 1_000 && events[0].end == 2_000 && events[0].duration == 1_000)
        #expect(events[1].http!.request?.bodyBytes == 11)
        #expect(counters.matched == 3 && counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0)
        expectSplitInvariant(conversation)
    }

    @Test func chunkedBodiesWithExtensionsAndTrailers() throws {
        let response = http("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked", "", "5;name=value", "hello", "0a", "0123456789",
                            "0", "Digest: abc", "X-Trailer: 1", "")
        let request = http("PUT /up HTTP/1.1", "Host: h", "Transfer-Encoding: chunked", "", "3", "abc", "0", "")
        let conversation = Conversation(steps: [
            .client(request, at: 1), .server(http("HTTP/1.1 201 Created", "Content-Length: 0", ""), at: 2),
            .client(http("GET /z HTTP/1.1", "Host: h", ""), at: 3), .server(response, at: 4),
        ])
        let (events, _) = conversation.run()
        try #require(events.count == 2)
        #expect(events[0].http?.request?.bodyBytes == 3 && events[0].requestBytes == UInt64(request.count))
        #expect(events[1].http?.response?.bodyBytes == 15 && events[1].responseBytes == UInt64(response.count))
        #expect(events.allSatisfy { $0.status == .ok && $0.notes.isEmpty })
        expectSplitInvariant(conversation)
    }

    @Test func hundredContinueIsDroppedAndTheFinalResponsePairs() {
        let conversation = Conversation(steps: [
            .client(http("PUT /upload/file.bin HTTP/1.1", "Host: h", "Content-Length: 4", "Expect: 100-continue", ""), at: 10),
            .server(http("HTTP/1.1 100 Continue", ""), at: 20),
            .client("data".bytes, at: 30),
            .server(http("HTTP/1.1 201 Created", "Content-Length: 0", ""), at: 40),
        ])
        let (events, counters) = conversation.run()
        #expect(events.count == 1)
        #expect(events.first?.http?.summary == "PUT /upload/file.bin -> 201 Created")
        #expect(events.first?.http?.request?.bodyBytes == 4)
        #expect(counters.interimResponses == 1 && counters.responses == 2 && counters.matched == 1)
        expectSplitInvariant(conversation)
    }

    @Test func earlyFinalResponsePairsWithTheRequestStillUploading() {
        let conversation = Conversation(steps: [
            .client(http("PUT /big HTTP/1.1", "Host: h", "Content-Length: 100000", "Expect: 100-continue", ""), at: 10),
            .server(http("HTTP/1.1 417 Expectation Failed", "Content-Length: 0", ""), at: 20),
        ])
        let (events, counters) = conversation.run()
        #expect(events.count == 1)
        #expect(events.first?.http?.summary == "PUT /big -> 417 Expectation Failed")
        #expect(counters.unmatchedResponses == 0 && counters.unmatchedRequests == 0)
    }

    @Test func httpOneZeroBodyEndsWithTheConnection() {
        let body = String(repeating: "x", count: 300).bytes
        let conversation = Conversation(steps: [
            .client(http("GET /big.txt HTTP/1.0", "Host: h", ""), at: 1),
            .server(http("HTTP/1.1 200 OK", "Content-Type: text/plain", "Connection: close", "") + body, at: 2),
            .server(body, at: 3),
        ])
        let (events, _) = conversation.run()
        #expect(events.count == 1)
        #expect(events.first?.http?.response?.bodyBytes == 600 && events.first?.status == .ok)
        #expect(events.first?.http?.request?.version == "1.0" && events.first?.end == 3)
        expectSplitInvariant(conversation)
    }

    @Test func pipelinedRequestsPairInOrderWithHeadAnd204And304HavingNoBody() {
        let requests = http("GET /a.txt HTTP/1.1", "Host: h", "") + http("HEAD /index.html HTTP/1.1", "Host: h", "")
            + http("GET /empty HTTP/1.1", "Host: h", "") + http("GET /cached HTTP/1.1", "Host: h", "")
            + http("GET /nothing-here HTTP/1.1", "Host: h", "Connection: close", "")
        let responses = http("HTTP/1.1 200 OK", "Content-Length: 11", "") + "plain text\n".bytes
            + http("HTTP/1.1 200 OK", "Content-Length: 46", "")  // HEAD: the length describes a GET
            + http("HTTP/1.1 204 No Content", "") + http("HTTP/1.1 304 Not Modified", "Content-Length: 99", "")
            + http("HTTP/1.1 404 Not Found", "Content-Length: 4", "") + "gone".bytes
        let conversation = Conversation(steps: [.client(requests, at: 1), .server(responses, at: 2)])
        let (events, counters) = conversation.run()
        #expect(events.map { $0.http!.summary } == ["GET /a.txt -> 200 OK", "HEAD /index.html -> 200 OK",
                                                     "GET /empty -> 204 No Content", "GET /cached -> 304 Not Modified",
                                                     "GET /nothing-here -> 404 Not Found"])
        #expect(events.map { $0.http?.response?.bodyBytes ?? 999 } == [11, 0, 0, 0, 4])
        #expect(counters.matched == 5)
        expectSplitInvariant(conversation)
    }

    @Test func switchingProtocolsStopsParsing() {
        let conversation = Conversation(steps: [
            .client(http("GET /chat HTTP/1.1", "Host: h", "Upgrade: websocket", "Connection: Upgrade", ""), at: 1),
            .server(http("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "") + [0x81, 0x02, 0x68, 0x69], at: 2),
            .client([0x81, 0x82, 1, 2, 3, 4, 0x69, 0x6b], at: 3),
        ])
        let (events, counters) = conversation.run()
        #expect(events.count == 1 && events.first?.http?.response?.statusCode == 101)
        #expect(counters.parseErrors == 0 && counters.unmatchedRequests == 0)
    }

    @Test func unmatchedRequestsAndResponsesAreErrorEvents() {
        let orphan = Conversation(steps: [.server(Self.page, at: 5)])
        let (orphans, orphanCounters) = orphan.run()
        #expect(orphans.count == 1 && orphans.first?.status == .error && orphans.first?.http?.request == nil)
        #expect(orphans.first?.notes == ["response without a request"] && orphanCounters.unmatchedResponses == 1)

        let unanswered = Conversation(steps: [.client(http("GET /slow HTTP/1.1", "Host: h", ""), at: 1_000_000_000)])
        let (atClose, closeCounters) = unanswered.run()
        #expect(atClose.count == 1 && atClose.first?.status == .error && atClose.first?.http?.response == nil)
        #expect(atClose.first?.notes == ["no response before connection closed"] && closeCounters.unmatchedRequests == 1)

        // No timeout while the connection is open (issue 17): reported at the close.
        var quiet = unanswered
        quiet.steps.append(.expire(at: 11_000_000_000))
        let (expired, expiredCounters) = quiet.run()
        #expect(expired.count == 1 && expiredCounters.timeouts == 0)
        #expect(expired.first?.notes == ["no response before connection closed"] && expired.first?.end == 11_000_000_000)
    }

    /// A response after the transaction timeout answers its request: one
    /// transaction, counted late, not "no response" plus an orphan.
    @Test func lateResponseIsPairedAndCountedLate() {
        let (events, counters) = Conversation(steps: [
            .client(http("GET /slow HTTP/1.1", "Host: h", ""), at: 1_000_000_000), .expire(at: 11_000_000_000),
            .expire(at: 12_000_000_000), .server(Self.page, at: 14_000_000_000),
            .client(http("GET /fast HTTP/1.1", "Host: h", ""), at: 15_000_000_000), .server(Self.page, at: 15_000_000_100),
        ]).run()
        #expect(events.map { $0.http!.summary } == ["GET /slow -> 200 OK", "GET /fast -> 200 OK"])
        #expect(events.map(\.notes) == [["response after the 10000 ms transaction timeout"], []])
        #expect(events.map(\.status) == [.ok, .ok] && events.first?.duration == 13_000_000_000)
        #expect(counters.lateResponses == 1 && counters.matched == 2 && counters.timeouts == 0)
        #expect(counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0)
    }
}
