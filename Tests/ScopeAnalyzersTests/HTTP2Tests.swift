@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// HTTP/2 sessions from hand-written frames: pairing by stream id, the
/// frame layer's corners, gRPC, and hostile streams whose memory must stay
/// bounded with counters saying what was dropped.
@Suite struct HTTP2Tests {
    static func run(_ steps: [Conversation.Step], configuration: AnalyzerConfiguration = AnalyzerConfiguration(),
                    close: StreamCloseReason? = .fin) -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        var conversation = Conversation(steps: steps)
        conversation.close = close
        return conversation.run(.http2, configuration: configuration)
    }

    @Test func getIsOneTransactionHoweverTheSegmentsAreCut() {
        let conversation = Conversation(steps: [
            .client(H2.preface + H2.settings + H2.headers(1, H2.request("/a"), endStream: true), at: 1),
            .server(H2.settings + H2.headers(1, H2.status(200)) + H2.data(1, Array("hello".utf8), endStream: true), at: 3),
        ])
        let results = conversation.splitEverywhere(.http2)
        #expect(Set(results.map { $0.joined(separator: "|") }).count == 1)
        let (events, counters) = conversation.run(.http2)
        #expect(events.count == 1 && events[0].status == .ok && events[0].duration == 2)
        #expect(events[0].h2?.summary == "GET /a -> 200")
        #expect(events[0].h2?.http.response?.bodyBytes == 5)
        #expect(events[0].requestBytes == UInt64(9 + H2.request("/a").count))
        #expect(counters.matched == 1 && counters.requests == 1 && counters.responses == 1)
    }

    @Test func concurrentStreamsPairByIdInAnyOrder() {
        let (events, counters) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/one"), endStream: true) + H2.headers(3, H2.request("/three"), endStream: true)
                    + H2.headers(5, H2.request("/five", method: "POST")) + H2.data(5, [1, 2, 3], endStream: true), at: 1),
            .server(H2.headers(5, H2.status(201), endStream: true), at: 2),
            .server(H2.headers(3, H2.status(404)) + H2.headers(1, H2.status(200)) + H2.data(3, [0], endStream: true), at: 3),
            .server(H2.data(1, [0, 0], endStream: true), at: 4),
        ])
        #expect(events.map { $0.h2!.summary } == ["POST /five -> 201", "GET /three -> 404", "GET /one -> 200"])
        #expect(events.map(\.status) == [.ok, .error, .ok])
        #expect(events[0].h2?.http.request?.bodyBytes == 3 && events[0].h2?.streamID == 5)
        #expect(counters.matched == 3)
    }

    @Test func resetStreamIsAnErrorTransaction() {
        let (events, _) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/slow"), endStream: true), at: 1),
            .client(H2.rst(1, 8), at: 5),
        ])
        #expect(events.count == 1 && events[0].status == .error)
        #expect(events[0].h2?.reset?.code == 8 && events[0].h2?.reset?.byClient == true)
        #expect(events[0].notes == ["stream reset by the client: CANCEL"])
        #expect(events[0].h2?.outcomeName(status: .error) == "reset")
    }

    @Test func lateHeadersOnAResetStreamAreNoNewTransaction() {
        let (events, counters) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/gone"), endStream: true) + H2.rst(1, 8), at: 1),
            // The server answered before it saw the reset; its indexed field must still enter the table.
            .server(H2.headers(1, H2.status(200, extra: H2.indexedLiteral("x-late", "1")), endStream: true), at: 2),
            .client(H2.headers(3, H2.request("/next"), endStream: true), at: 3),
            .server(H2.headers(3, [0x88, 0xBE], endStream: true), at: 4),
        ])
        #expect(events.map { $0.h2!.summary } == ["GET /gone -> ? reset=CANCEL", "GET /next -> 200"])
        #expect(counters.parseErrors == 0 && counters.unmatchedResponses == 0)
    }

    @Test func settingsTableSizeAndSizeUpdatesAreFollowed() {
        // The server allows no table (SETTINGS_HEADER_TABLE_SIZE 0); the client says so in its block, then indexes
        // a field: an entry larger than the table empties it, so index 62 on the next request is malformed.
        let noTable = H2.frame(HTTP2FrameType.settings, 0, 0, [0, 1, 0, 0, 0, 0])
        let (events, counters) = Self.run([
            .server(noTable, at: 1),
            .client(H2.preface + H2.headers(1, [0x20] + H2.request("/a", extra: H2.indexedLiteral("x-id", "7")), endStream: true), at: 2),
            .server(H2.headers(1, H2.status(200), endStream: true), at: 3),
            .client(H2.headers(3, H2.request("/b") + [0xBE], endStream: true), at: 4),
            .server(H2.headers(3, H2.status(200), endStream: true), at: 5),
        ])
        #expect(events.count == 2 && counters.parseErrors == 1)
        #expect(events[1].notes.contains("header block not decoded (HPACK)"))
    }

    @Test func malformedStatusesAreNoNumbers() {
        let grpc = H2.literal("content-type", "application/grpc")
        let (events, _) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/s", method: "POST", extra: grpc), endStream: true), at: 1),
            .server(H2.headers(1, H2.literal(":status", "2-0") + H2.literal("grpc-status", "-5"), endStream: true), at: 2),
        ])
        #expect(events.count == 1 && events[0].h2?.http.response?.statusCode == 0 && events[0].h2?.grpc?.statusCode == nil)
        #expect(events[0].json.contains(#""status_code":0"#) && events[0].status == .error)
    }

    @Test func serverPushIsItsOwnTransaction() {
        let promise = H2.frame(HTTP2FrameType.pushPromise, HTTP2Flag.endHeaders, 1, [0, 0, 0, 2] + H2.request("/style.css"))
        let (events, _) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/"), endStream: true), at: 1),
            .server(promise + H2.headers(1, H2.status(200), endStream: true), at: 2),
            .server(H2.headers(2, H2.status(200)) + H2.data(2, [1, 2], endStream: true), at: 3),
        ])
        #expect(events.map { $0.h2!.summary } == ["GET / -> 200", "GET /style.css -> 200"])
        #expect(events[1].h2?.pushed == true && events[1].status == .ok && events[1].h2?.streamID == 2)
    }

    @Test func paddingPriorityAndContinuationMakeOneBlock() {
        let block = H2.request("/padded", extra: H2.literal("user-agent", "ua"))
        let first = Array(block[..<10]), rest = Array(block[10...])
        // PADDED | PRIORITY, no END_HEADERS: pad length 3, 5 bytes of priority, the first part, 3 bytes padding.
        let headers = H2.frame(HTTP2FrameType.headers, HTTP2Flag.padded | HTTP2Flag.priority | HTTP2Flag.endStream, 1,
                               [3] + [0, 0, 0, 0, 16] + first + [0, 0, 0])
        let continuation = H2.frame(HTTP2FrameType.continuation, 0, 1, Array(rest[..<4]))
            + H2.frame(HTTP2FrameType.continuation, HTTP2Flag.endHeaders, 1, Array(rest[4...]))
        let paddedData = H2.frame(HTTP2FrameType.data, HTTP2Flag.padded | HTTP2Flag.endStream, 1, [4] + [9, 9] + [0, 0, 0, 0])
        let (events, counters) = Self.run([
            .client(H2.preface + headers + continuation, at: 1),
            .server(H2.headers(1, H2.status(200)) + paddedData, at: 2),
        ])
        #expect(events.count == 1 && events[0].h2?.summary == "GET /padded -> 200")
        #expect(events[0].h2?.http.request?.userAgent == "ua")
        #expect(events[0].h2?.http.response?.bodyBytes == 2)  // padding is not data
        #expect(counters.parseErrors == 0)
    }

    @Test func endlessContinuationStaysBounded() {
        var configuration = AnalyzerConfiguration()
        configuration.maxHeaderBytes = 4096
        var steps: [Conversation.Step] = [.client(H2.preface + H2.frame(HTTP2FrameType.headers, HTTP2Flag.endStream, 1, H2.request("/x")), at: 1)]
        let piece = H2.frame(HTTP2FrameType.continuation, 0, 1, [UInt8](repeating: 0x82, count: 1000))
        for time in 0..<2000 { steps.append(.client(piece, at: 2 + UInt64(time))) }
        steps.append(.client(H2.frame(HTTP2FrameType.continuation, HTTP2Flag.endHeaders, 1, [0x82]), at: 5000))
        // The next request still decodes (static entries and literals only).
        steps.append(.client(H2.headers(3, H2.request("/after"), endStream: true), at: 5001))
        steps.append(.server(H2.headers(3, H2.status(200), endStream: true), at: 5002))
        let (events, counters) = Self.run(steps, configuration: configuration)
        #expect(counters.oversized == 1)
        #expect(events.count == 2)
        #expect(events.first { $0.h2?.streamID == 1 }?.notes.contains("header block over 4096 bytes") == true)
        #expect(events.first { $0.h2?.streamID == 3 }?.h2?.summary == "GET /after -> 200")
    }

    @Test func sixteenMebibyteFramesAreSkippedOrCountedNotBuffered() {
        let huge = HTTP2FrameHeader.maxLength
        var steps: [Conversation.Step] = [
            .client(H2.preface + H2.headers(1, H2.request("/upload", method: "POST")) + H2.frame(HTTP2FrameType.data, 0, 1, [], length: huge), at: 1),
        ]
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        var left = huge
        while left > 0 {
            steps.append(.client(Array(chunk[..<min(left, chunk.count)]), at: 2))
            left -= min(left, chunk.count)
        }
        // A 16 MiB HEADERS frame (over any header limit): skipped exactly, the next frame read.
        steps.append(.server(H2.frame(HTTP2FrameType.headers, HTTP2Flag.endHeaders, 1, [], length: huge), at: 3))
        left = huge
        while left > 0 {
            steps.append(.server(Array(chunk[..<min(left, chunk.count)]), at: 3))
            left -= min(left, chunk.count)
        }
        steps.append(.client(H2.data(1, [], endStream: true), at: 4))
        steps.append(.server(H2.headers(1, H2.status(200), endStream: true), at: 5))
        let (events, counters) = Self.run(steps)
        #expect(counters.oversized == 1)
        #expect(events.count == 1 && events[0].h2?.http.request?.bodyBytes == UInt64(huge))
        #expect(events[0].h2?.http.response?.statusCode == 200)
    }

    @Test func hundredThousandStreamsNeverClosedAreEvictedAndCounted() {
        var client = H2.preface
        for index in 0..<100_000 { client += H2.headers(UInt32(2 * index + 1), [0x82, 0x86, 0x84]) }
        var configuration = AnalyzerConfiguration()
        configuration.maxPendingPerConnection = 1000
        let (events, counters) = Self.run([.client(client, at: 1)], configuration: configuration)
        #expect(counters.evictions == 99_000)
        #expect(counters.requests == 100_000 && counters.unmatchedRequests == 100_000 && events.count == 100_000)
        #expect(events.first?.notes.contains("evicted: more than 1000 streams open") == true)
        #expect(events.last?.notes.contains("stream open at connection closed") == true)
    }

    @Test func midConnectionCaptureCountsWhatHPACKLostAndStillPairs() {
        // No preface; the client side starts inside a DATA frame. Index 62 refers to an entry sent before the capture.
        let (events, counters) = Self.run([
            .client([7, 7, 7] + H2.headers(7, [0x82, 0x86, 0x84, 0xBE], endStream: true), at: 1),
            .server([1, 2] + H2.headers(7, [0x88, 0xBF], endStream: true), at: 2),
        ])
        #expect(events.count == 1 && events[0].h2?.summary == "GET / -> 200")
        #expect(events[0].notes.contains("1 header fields refer to HPACK entries sent before the capture"))
        #expect(counters.parseErrors == 2 && counters.skippedBytes == 5)
    }

    @Test func grpcCallsFromTrailersAndTrailersOnly() {
        let grpc = H2.literal("content-type", "application/grpc")
        let (events, _) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/pkg.Svc/Do", method: "POST", extra: grpc + H2.literal("grpc-timeout", "5S")))
                    + H2.data(1, H2.grpcMessage(10) + Array(H2.grpcMessage(3, compressed: true).prefix(4))), at: 1),
            .client(H2.data(1, Array(H2.grpcMessage(3, compressed: true).dropFirst(4)), endStream: true), at: 2),
            .server(H2.headers(1, H2.status(200, extra: grpc)) + H2.data(1, H2.grpcMessage(0) + H2.grpcMessage(70000 % 100)), at: 3),
            .server(H2.headers(1, H2.literal("grpc-status", "0"), endStream: true), at: 4),
            .client(H2.headers(3, H2.request("/pkg.Svc/Fail", method: "POST", extra: grpc), endStream: true), at: 5),
            .server(H2.headers(3, H2.status(200, extra: grpc + H2.literal("grpc-status", "14") + H2.literal("grpc-message", "down")),
                               endStream: true), at: 6),
        ])
        #expect(events.count == 2)
        let ok = events[0].h2!.grpc!, failed = events[1].h2!.grpc!
        #expect(ok.service == "pkg.Svc" && ok.method == "Do" && ok.statusCode == 0 && ok.timeout == "5S")
        #expect(ok.requestMessages.messages == 2 && ok.requestMessages.compressed == 1 && ok.requestMessages.bytes == 13)
        #expect(ok.responseMessages.messages == 2 && ok.responseMessages.bytes == 0)
        #expect(events[0].status == .ok && events[0].outcome == "ok")
        #expect(failed.statusCode == 14 && failed.message == "down" && events[1].status == .error && events[1].outcome == "unavailable")
        let json = events[1].json
        #expect(json.contains(#""rpc":{"system":"grpc","service":"pkg.Svc","method":"Fail","grpc":{"status_code":14}}"#))
        #expect(json.contains(#""http":{"version":"2""#))
        var odd = events[1].h2!
        odd.grpc?.statusCode = 4_000_000
        #expect(odd.outcomeName(status: .error) == "other" && odd.summary.hasSuffix("grpc=4000000"))
    }

    @Test func traceContextAndRedactedHeadersAsInHTTP1() {
        var configuration = AnalyzerConfiguration()
        configuration.includeHTTPHeaders = true
        let extra = H2.literal("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            + H2.literal("authorization", "Bearer secret")
        let (events, _) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/t", extra: extra), endStream: true), at: 1),
            .server(H2.headers(1, H2.status(204), endStream: true), at: 2),
        ], configuration: configuration)
        let json = events[0].json
        #expect(json.contains(#""trace":{"id":"4bf92f3577b34da6a3ce929d0e0e4736"},"span":{"id":"00f067aa0ba902b7"}"#))
        #expect(json.contains(#""authorization":"Bearer *""#) && !json.contains("secret"))
    }

    @Test func goawayMarksStreamsTheServerNeverProcessed() {
        let goaway = H2.frame(HTTP2FrameType.goaway, 0, 0, [0, 0, 0, 1, 0, 0, 0, 0])
        let (events, _) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/a"), endStream: true) + H2.headers(3, H2.request("/b"), endStream: true), at: 1),
            .server(H2.headers(1, H2.status(200), endStream: true) + goaway, at: 2),
        ])
        #expect(events.count == 2)
        #expect(events[1].notes == ["not processed (GOAWAY after stream 1)"] && events[1].status == .error)
    }

    @Test func gapInsideDataIsAbsorbedAndElsewhereResynchronises() {
        let (events, counters) = Self.run([
            .client(H2.preface + H2.headers(1, H2.request("/a"), endStream: true), at: 1),
            .server(H2.headers(1, H2.status(200)) + Array(H2.data(1, [UInt8](repeating: 1, count: 100), endStream: true).prefix(30)), at: 2),
            .serverGap(79, at: 3),
            .client(H2.headers(3, H2.request("/b"), endStream: true), at: 4),
            .server(H2.headers(3, H2.status(200), endStream: true), at: 5),
        ])
        #expect(events.count == 2 && counters.gapsAbsorbed == 1)
        #expect(events.map { $0.h2!.summary } == ["GET /a -> 200", "GET /b -> 200"])
        #expect(events[0].h2?.http.response?.bodyBytes == 21)
    }
}
