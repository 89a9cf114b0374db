import Testing
@testable import ScopeAnalyzers

/// Issue 17's server-side HTTP oddities recorded over a real TCP stack with
/// curl as the client (http-server-edge.pcap, Tests/Fixtures/captures/
/// make-http-server-edge.sh): broken chunking four ways, a valid chunk
/// extension as the control, a server that closes inside a chunk, and a
/// response 12 s late while another connection keeps the clock moving.
/// One connection per case, by client port; tshark reads the same file.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct HTTPServerEdgeOracleTests {
    static let file = "http-server-edge.pcap"

    static func events() throws -> (events: [UInt16: TransactionEvent], counters: AnalyzerCounters) {
        let analysis = try CaptureOracle.analyze(file)
        let http = analysis.events.filter { $0.application == .http && $0.endpoints.clientPort != 42008 }
        return (Dictionary(http.map { ($0.endpoints.clientPort, $0) }, uniquingKeysWith: { first, _ in first }),
                analysis.counters(.http))
    }

    /// tshark's responses by client port: status code and chunk sizes read.
    static func tsharkResponses() throws -> [UInt16: (code: String, chunks: String)] {
        let rows = try CaptureOracle.tshark(file, ["-Y", "http.response && tcp.dstport != 42008", "-e", "tcp.dstport",
                                                   "-e", "http.response.code", "-e", "http.chunk_size"])
        return Dictionary(rows.compactMap { row in UInt16(row[0]).map { ($0, (row[1], row[2])) } },
                          uniquingKeysWith: { first, _ in first })
    }

    /// Every broken body keeps its response: tshark reads status 200 on each,
    /// and so do we, with the body flagged and the parse error counted.
    /// Where the framing breaks, the readers part ways, and the test says
    /// how: tshark takes "zz" for a last chunk (size 0) and "0x5" for 5 (as
    /// curl does, its C parser's base-16 prefix), and gives up on the
    /// 17-digit size. RFC 9112 allows hex digits only, so all four are
    /// broken framing to us: the head is reported, the rest of the body is
    /// skipped, and the bytes before the break are counted.
    @Test func brokenChunkingKeepsTheResponse() throws {
        let (events, counters) = try Self.events()
        let tshark = try Self.tsharkResponses()
        let cases: [(port: UInt16, reason: String, tsharkChunks: String, bodyBytes: UInt64)] = [
            (42001, "bad chunk size", "5,0", 5),
            (42002, "chunk not followed by CRLF", "4", 4),
            (42003, "bad chunk size", "5", 5),
            (42004, "bad chunk size", "5,0", 0),
        ]
        for expected in cases {
            let event = try #require(events[expected.port])
            #expect(tshark[expected.port]?.code == "200" && event.http?.response?.statusCode == 200)
            #expect(tshark[expected.port]?.chunks == expected.tsharkChunks)
            #expect(event.http?.response?.bodyError == true && event.http?.response?.complete == false)
            #expect(event.http?.response?.contentType == "text/plain")
            #expect(event.http?.response?.bodyBytes == expected.bodyBytes)
            #expect(event.notes == ["response body: \(expected.reason); the rest of the body was skipped"])
            #expect(event.status == .error)
        }
        #expect(counters.parseErrors == 4)
    }

    /// A chunk extension is valid framing: no flag, the whole body read.
    @Test func chunkExtensionIsNotBroken() throws {
        let (events, _) = try Self.events()
        #expect(try Self.tsharkResponses()[42005].map { $0.code + " " + $0.chunks } == "200 5,0")
        let event = try #require(events[42005])
        #expect(event.http?.response?.bodyError == false && event.http?.response?.complete == true)
        #expect(event.http?.response?.bodyBytes == 5 && event.notes.isEmpty && event.status == .ok)
    }

    /// The server closes inside the first chunk. tshark, waiting for the
    /// rest of the chunked body, shows no response at all; we report the
    /// status and headers that arrived, as an incomplete response.
    @Test func closeInsideAChunkKeepsTheHead() throws {
        let (events, _) = try Self.events()
        #expect(try Self.tsharkResponses()[42006] == nil)
        #expect(!(try CaptureOracle.tshark(Self.file, ["-Y", "http.request && tcp.srcport == 42006", "-e", "http.request.uri"])).isEmpty)
        let event = try #require(events[42006])
        #expect(event.http?.response?.statusCode == 200 && event.http?.response?.complete == false)
        #expect(event.http?.response?.bodyError == false && event.http?.response?.bodyBytes == 3)
        #expect(event.notes == ["response incomplete at connection closed"] && event.status == .error)
    }

    /// The response 12 s late: tshark pairs it (http.time > 10 s); so do
    /// we, once, counted late rather than split into an unanswered request
    /// and a response without one. The keep-alive ticks beside it all pair.
    @Test func lateResponseIsPaired() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let rows = try CaptureOracle.tshark(Self.file, ["-Y", "http.response && tcp.dstport == 42007", "-e", "http.time"])
        #expect(rows.count == 1 && rows.first.flatMap { Double($0[0]) }.map { $0 > 10 } == true)
        let slow = analysis.events.filter { $0.endpoints.clientPort == 42007 }
        #expect(slow.map { $0.http!.summary } == ["GET /slow -> 200 OK"])
        #expect(slow.first?.notes == ["response after the 10000 ms transaction timeout"] && slow.first?.status == .ok)
        let ticks = analysis.events.filter { $0.endpoints.clientPort == 42008 }
        let tsharkTicks = try CaptureOracle.tshark(Self.file, ["-Y", "http.response && tcp.dstport == 42008", "-e", "http.response.code"])
        #expect(ticks.count == tsharkTicks.count && ticks.allSatisfy { $0.status == .ok })
        let counters = analysis.counters(.http)
        #expect(counters.lateResponses == 1 && counters.timeouts == 0)
    }
}
