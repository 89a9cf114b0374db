import Testing
@testable import ScopeAnalyzers

/// Issue 17's client-side HTTP oddities sent by a raw-socket client to a
/// real nginx (http-nginx-edge.pcap, Tests/Fixtures/captures/
/// make-http-nginx-edge.sh): what nginx answers is the server's own reading
/// of them, and tshark reads the same file. One connection per case, by
/// client port; 41006 is used twice (a reset, then the port reused).
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct HTTPNginxEdgeOracleTests {
    static let file = "http-nginx-edge.pcap"

    static func events() throws -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        let analysis = try CaptureOracle.analyze(file)
        return (analysis.events.filter { $0.application == .http }, analysis.counters(.http))
    }

    static func on(_ port: UInt16, _ events: [TransactionEvent]) -> [TransactionEvent] {
        events.filter { $0.endpoints.clientPort == port }
    }

    /// tshark's HTTP rows: source port, destination port, method, target, response code.
    static func tsharkRows() throws -> [[String]] {
        try CaptureOracle.tshark(file, ["-Y", "http", "-e", "tcp.srcport", "-e", "tcp.dstport",
                                        "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.response.code"])
    }

    /// The server bytes of one connection, from tshark (not from our reassembly).
    static func serverBytes(_ port: UInt16) throws -> Int {
        try CaptureOracle.tshark(file, ["-Y", "tcp.srcport == 80 && tcp.dstport == \(port)", "-e", "tcp.len"])
            .compactMap { Int($0[0]) }.reduce(0, +)
    }

    /// nginx answers `POST  /  HTTP/1.0` (405 for a static file), as tshark
    /// reads it; we pair the two and note the spacing.
    @Test func extraSpacesAreARequestNginxAnswers() throws {
        let (events, _) = try Self.events()
        let rows = try Self.tsharkRows()
        #expect(rows.contains { $0[0] == "41001" && $0[2] == "POST" })
        #expect(rows.contains { $0[1] == "41001" && $0[4] == "405" })
        let event = try #require(Self.on(41001, events).first)
        #expect(event.http?.request?.method == "POST" && event.http?.request?.target == "/")
        #expect(event.http?.response?.statusCode == 405)
        #expect(event.notes == ["request line with extra spaces"])
    }

    /// nginx serves `GET /` (HTTP/0.9) with the bare file, no status line,
    /// then closes. tshark reads no HTTP there; we report the request with
    /// the whole answer as its body.
    @Test func http09IsServedAsABareBody() throws {
        let (events, _) = try Self.events()
        #expect(!(try Self.tsharkRows()).contains { $0[0] == "41002" || $0[1] == "41002" })
        let event = try #require(Self.on(41002, events).first)
        #expect(event.http?.request?.version == "0.9" && event.http?.response?.version == "0.9")
        let served = try Self.serverBytes(41002)
        #expect(served == "<html>nginx edge</html>\n".utf8.count)
        #expect(event.http?.response?.bodyBytes == UInt64(served))
        #expect(event.status == .ok)
    }

    /// Requests the client never finished: nginx answers nothing (tshark
    /// reads no HTTP); we report each unanswered, with what was missing.
    @Test func unfinishedRequestsAreReportedUnanswered() throws {
        let (events, _) = try Self.events()
        let rows = try Self.tsharkRows()
        for (port, target, missing) in [(UInt16(41003), "/index.html", "headers not finished"),
                                        (41004, "/par", "request line not finished")] {
            #expect(try Self.serverBytes(port) == 0)
            #expect(!rows.contains { $0[0] == String(port) || $0[1] == String(port) })
            let event = try #require(Self.on(port, events).first)
            #expect(event.http?.request?.target == target && event.http?.response == nil)
            #expect(event.notes == ["request incomplete at connection closed: \(missing)",
                                    "no response before connection closed"])
            #expect(event.status == .error)
        }
    }

    /// The HTTP/2 preface on nginx's HTTP/1 port: nginx refuses it with an
    /// HTTP/1 400, which tshark does not read as HTTP either. The content
    /// wins over the port: the HTTP/2 analyzer takes the connection, reads
    /// the preface and the client's SETTINGS, finds no frame in the 400 and
    /// counts it as skipped. No transaction either way.
    @Test func prefaceIsNoTransactionAndItsAnswerIsCounted() throws {
        let (events, counters) = try Self.events()
        #expect(Self.on(41005, events).isEmpty)
        #expect(!(try Self.tsharkRows()).contains { $0[0] == "41005" || $0[1] == "41005" })
        let answered = try Self.serverBytes(41005)
        #expect(answered > 100)
        let http2 = try CaptureOracle.analyze(Self.file).counters(.http2)
        #expect(http2.detectedByContent == 1 && http2.transactions == 0)
        #expect(http2.skippedBytes == UInt64(answered))
        #expect(counters.skippedBytes == 0)
    }

    /// A request reset by the client, then a new connection from the same
    /// port: the first is unanswered, the second paired, as tshark pairs it.
    @Test func portReuseAfterAResetIsANewConnection() throws {
        let (events, _) = try Self.events()
        let rows = try Self.tsharkRows()
        #expect(rows.filter { $0[0] == "41006" }.count == 2)
        #expect(rows.filter { $0[1] == "41006" }.map { $0[4] } == ["200"])
        let both = Self.on(41006, events)
        try #require(both.count == 2)
        #expect(both[0].http?.response == nil && both[0].notes == ["no response before connection reset"])
        #expect(both[1].http?.response?.statusCode == 200 && both[1].status == .ok)
    }

    /// The control: a keep-alive pair, as tshark reads it.
    @Test func keepAliveControlMatchesTshark() throws {
        let (events, counters) = try Self.events()
        let codes = try Self.tsharkRows().filter { $0[1] == "41007" }.map { $0[4] }
        #expect(codes == ["200", "404"])
        #expect(Self.on(41007, events).map { $0.http?.response.map { String($0.statusCode) } } == codes)
        #expect(events.count == 8 && counters.matched == 5 && counters.unmatchedRequests == 3)
    }
}
