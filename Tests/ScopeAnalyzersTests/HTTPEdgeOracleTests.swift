import Testing
@testable import ScopeAnalyzers

/// The HTTP items of issue 17 on http-edge.pcap (one connection per case,
/// built by Tests/Fixtures/captures/make-http-edge.py), against tshark's
/// reading of the same file.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct HTTPEdgeOracleTests {
    static let file = "http-edge.pcap"

    /// Our HTTP events by client port.
    static func events() throws -> (events: [UInt16: TransactionEvent], counters: AnalyzerCounters, count: Int) {
        let analysis = try CaptureOracle.analyze(file)
        let http = analysis.events.filter { $0.application == .http }
        return (Dictionary(http.map { ($0.endpoints.clientPort, $0) }, uniquingKeysWith: { first, _ in first }),
                analysis.counters(.http), http.count)
    }

    /// tshark's HTTP and HTTP2 rows: client port, protocol, method, response code.
    static func tsharkRows() throws -> [[String]] {
        try CaptureOracle.tshark(file, ["-Y", "http or http2", "-e", "tcp.srcport", "-e", "tcp.dstport",
                                        "-e", "_ws.col.Protocol", "-e", "http.request.method", "-e", "http.response.code"])
    }

    /// Broken chunking after the head: tshark reads status 200 for both; we
    /// report the responses with their status, flag the body, count the errors.
    @Test func brokenChunkingKeepsTheResponse() throws {
        let (events, counters, _) = try Self.events()
        let codes = try Self.tsharkRows().filter { $0[0] == "80" }
        for (port, reason) in [(UInt16(40401), "bad chunk size"), (40402, "chunk not followed by CRLF")] {
            let expected = codes.first { $0[1] == String(port) }?[4]
            let event = try #require(events[port])
            #expect(expected == "200" && event.http?.response.map { String($0.statusCode) } == expected)
            #expect(event.http?.response?.bodyError == true && event.http?.response?.complete == false)
            #expect(event.http?.response?.contentType == "text/plain")
            #expect(event.notes == ["response body: \(reason); the rest of the body was skipped"])
            #expect(event.status == .error)
        }
        #expect(events[40401]?.http?.response?.bodyBytes == 5)
        #expect(counters.parseErrors == 2)
    }

    /// Extra spaces: tshark reads a POST (and answers it); so do we, noted.
    /// HTTP/0.9: tshark waits for a version and reads nothing; nginx and
    /// Apache serve it, and we report it with its bare-body answer.
    @Test func oddRequestLinesAreAcceptedAndFlagged() throws {
        let (events, _, _) = try Self.events()
        let rows = try Self.tsharkRows()
        #expect(rows.contains { $0[0] == "40403" && $0[3] == "POST" })
        #expect(rows.contains { $0[1] == "40403" && $0[4] == "200" })
        let spaced = try #require(events[40403])
        #expect(spaced.http?.request?.method == "POST" && spaced.http?.request?.target == "/")
        #expect(spaced.http?.request?.version == "1.0" && spaced.http?.response?.statusCode == 200)
        #expect(spaced.notes == ["request line with extra spaces"] && spaced.status == .ok)

        #expect(!rows.contains { $0[0] == "40404" || $0[1] == "40404" })
        let simple = try #require(events[40404])
        #expect(simple.http?.request?.version == "0.9" && simple.http?.request?.target == "/")
        #expect(simple.http?.response?.version == "0.9" && simple.http?.response?.bodyBytes == 17)
        #expect(simple.notes == ["HTTP/0.9 request (no version)", "HTTP/0.9 response (no status line)"])
    }

    /// The client closes mid-headers and mid-request-line: tshark keeps the
    /// bytes as an unfinished PDU (no HTTP row); we report incomplete,
    /// unanswered requests.
    @Test func unfinishedRequestsAreReported() throws {
        let (events, _, _) = try Self.events()
        let rows = try Self.tsharkRows()
        #expect(!rows.contains { ["40405", "40406"].contains($0[0]) })
        let sent = try CaptureOracle.tshark(Self.file, ["-Y", "tcp.len > 0 and (tcp.srcport == 40405 or tcp.srcport == 40406)",
                                                   "-e", "tcp.srcport", "-e", "tcp.payload"])
        #expect(sent.map { $0[0] } == ["40405", "40406"])
        let headers = try #require(events[40405])
        #expect(headers.http?.request?.target == "/never-finished" && headers.http?.request?.host == "10.99.0.1")
        #expect(headers.notes == ["request incomplete at connection closed: headers not finished",
                                  "no response before connection closed"])
        let line = try #require(events[40406])
        #expect(line.http?.request?.method == "GET" && line.http?.request?.target == "/par")
        #expect(line.http?.request?.complete == false && line.http?.response == nil && line.status == .error)
    }

    /// tshark reads the preface as HTTP2; it is no HTTP/1 request for us.
    @Test func http2PrefaceIsNotAnHTTP1Request() throws {
        let (events, counters, count) = try Self.events()
        let rows = try Self.tsharkRows()
        #expect(rows.filter { $0[0] == "40407" || $0[1] == "40407" }.map { $0[2] } == ["HTTP2", "HTTP2"])
        #expect(events[40407] == nil && count == 11)
        #expect(counters.requests == 11 && counters.unmatchedResponses == 0)
    }

    /// A response 15 s after its request: tshark pairs them (http.time);
    /// so do we, once, counted late rather than split in two.
    @Test func lateResponseIsPaired() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let slow = analysis.events.filter { $0.endpoints.clientPort == 40408 }
        let rows = try CaptureOracle.tshark(Self.file, ["-Y", "http.response and tcp.port == 40408", "-e", "http.response.code",
                                                        "-e", "http.time"])
        #expect(rows.map { $0[0] } == ["200"] && rows.first.flatMap { Double($0[1]) }.map { $0 > 10 } == true)
        #expect(slow.map { $0.http!.summary } == ["GET /slow -> 200 OK"])
        #expect(slow.first?.notes == ["response after the 10000 ms transaction timeout"] && slow.first?.status == .ok)
        let counters = analysis.counters(.http)
        #expect(counters.lateResponses == 1 && counters.timeouts == 0)
    }

    /// HTTP on DNS's port: tshark reads it as HTTP when told (-d); we see it
    /// from the content, which wins over the port. With ports only, the
    /// port decides (and DNS finds nothing in it).
    @Test func contentWinsOverThePort() throws {
        let rows = try CaptureOracle.tshark(Self.file, ["-d", "tcp.port==53,http", "-Y", "http and tcp.port == 53",
                                                        "-e", "http.request.uri", "-e", "http.response.code"])
        #expect(rows.map { $0[0] + $0[1] } == ["/on-53", "200"])
        let analysis = try CaptureOracle.analyze(Self.file)
        let on53 = analysis.events.filter { $0.endpoints.serverPort == 53 }
        #expect(on53.map { "\($0.application) \($0.http?.summary ?? "")" } == ["http GET /on-53 -> 200 OK"])
        #expect(analysis.counters(.http).detectedByContent == 1 && analysis.counters(.dns).detectedByPort == 0)
        var configuration = AnalyzerConfiguration()
        configuration.selection = try ProtocolSelection(parsing: "http;dns", detectByContent: false)
        let portsOnly = try CaptureOracle.analyze(Self.file, configuration: configuration)
        #expect(!portsOnly.events.contains { $0.endpoints.serverPort == 53 })
        #expect(portsOnly.counters(.dns).detectedByPort == 1)
    }

    /// A reset, then the same ports again with new sequence numbers: tshark
    /// sees two streams; the second one's transaction is reported too.
    @Test func portReuseAfterAResetIsANewSession() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let reused = analysis.events.filter { $0.endpoints.clientPort == 40409 }
        let rows = try CaptureOracle.tshark(Self.file, ["-Y", "http and tcp.port == 40409", "-e", "tcp.stream",
                                                        "-e", "http.request.uri", "-e", "http.response.code"])
        #expect(Set(rows.map { $0[0] }).count == 2 && rows.map { $0[1] + $0[2] } == ["/reset", "/reused", "204"])
        #expect(reused.map { $0.http!.summary } == ["GET /reset -> ?", "GET /reused -> 204 No Content"])
        #expect(reused.first?.notes == ["no response before connection reset"])
    }
}
