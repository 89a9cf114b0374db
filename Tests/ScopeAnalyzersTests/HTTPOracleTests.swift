import Testing
@testable import ScopeAnalyzers

/// http.pcap (nginx + curl + a pipelining client, see make-captures.sh)
/// against tshark's HTTP dissector. Port 9000 is not an HTTP port for
/// either tool: tshark is told with `-d`, dpdkscope finds it by content.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct HTTPOracleTests {
    static let decodeAs = ["-d", "tcp.port==9000,http"]

    @Test func transactionsEqualTshark() throws {
        let analysis = try CaptureOracle.analyze("http.pcap")
        let requests = try CaptureOracle.tshark("http.pcap", Self.decodeAs + ["-Y", "http.request", "-e", "frame.number",
                                                "-e", "tcp.stream", "-e", "http.request.method", "-e", "http.request.uri"])
        let responses = try CaptureOracle.tshark("http.pcap", Self.decodeAs + ["-Y", "http.response", "-e", "tcp.stream",
                                                 "-e", "http.response.code", "-e", "http.request_in",
                                                 "-e", "http.content_length_header"])
        // tshark pairs through http.request_in on the response frame.
        var answers: [String: (code: Int, length: String)] = [:]
        var unpairedByStream: [String: Int] = [:]
        var interim = 0
        for row in responses {
            let codes = row[1].split(separator: ",").compactMap { Int($0) }
            if codes.allSatisfy({ $0 < 200 }) {
                // Difference 1: tshark lists "100 Continue" as a response of
                // its own; dpdkscope drops interim responses (as Packetbeat
                // does) and pairs the final one. Counted, not lost.
                interim += 1
            } else if row[2].isEmpty {
                unpairedByStream[row[0], default: 0] += 1
            } else {
                answers[row[2]] = (codes[0], row[3])
            }
        }
        var expected: [String] = []
        var lengths: [String: String] = [:]
        for row in requests {
            let methods = row[2].split(separator: ","), uris = row[3].split(separator: ",")
            #expect(methods.count == uris.count)
            if methods.count > 1 {
                // Difference 2: a segment with three pipelined requests. tshark
                // 4.0 pairs only the first, reads the HEAD response's
                // Content-Length as a body, swallows the 404 behind it and
                // reports that "response" unpaired. The server's status lines,
                // in order, come from the reassembled stream instead.
                #expect(unpairedByStream[row[1]] == 1, "the pipelined stream is the one tshark could not pair")
                let codes = try CaptureOracle.statusLines("http.pcap", stream: row[1])
                #expect(codes.count == methods.count)
                for (index, method) in methods.enumerated() where index < codes.count {
                    expected.append("\(method) \(uris[index]) \(codes[index])")
                }
                unpairedByStream[row[1]] = nil
                continue
            }
            let answer = answers[row[0]]
            expected.append("\(row[2]) \(row[3]) \(answer.map { String($0.code) } ?? "-")")
            if let answer, !answer.length.isEmpty { lengths["\(row[2]) \(row[3])"] = answer.length }
        }
        #expect(unpairedByStream.isEmpty, "every other response is paired by tshark too")
        let ours = analysis.events.sorted { $0.start < $1.start }.map { event -> String in
            let http = event.http!
            return "\(http.request?.method ?? "-") \(http.request?.target ?? "-") \(http.response.map { String($0.statusCode) } ?? "-")"
        }
        #expect(ours == expected)
        #expect(expected.count == 17 && interim == 1)

        let counters = analysis.counters(.http)
        #expect(counters.interimResponses == UInt64(interim))
        #expect(counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0 && counters.parseErrors == 0)
        #expect(counters.gaps == 0 && counters.skippedBytes == 0 && counters.detectedByContent == 1)
        // Body sizes equal the Content-Length tshark saw (bodies without one are chunked or close-delimited).
        for event in analysis.events {
            guard let request = event.http?.request, let response = event.http?.response, request.method != "HEAD",
                  response.statusCode != 304, let length = lengths["\(request.method) \(request.target)"] else { continue }
            #expect(String(response.bodyBytes) == length, "\(request.target)")
        }
    }

    @Test func featuresSeenInTheCapture() throws {
        let events = try CaptureOracle.analyze("http.pcap").events
        func find(_ method: String, _ target: String) -> TransactionEvent? {
            events.first { $0.http?.request?.method == method && $0.http?.request?.target == target }
        }
        let chunkedRequest = try #require(events.first { $0.http?.request?.method == "POST" && $0.http?.request?.bodyBytes == 3000 })
        #expect(chunkedRequest.requestBytes > 3000)  // chunk framing counted on the wire, not in the body
        let gzipped = events.filter { $0.http?.request?.target == "/big.txt" }
        #expect(gzipped.count == 2 && gzipped.allSatisfy { ($0.http?.response?.bodyBytes ?? 0) > 0 && $0.status == .ok })
        #expect(gzipped.contains { $0.http?.request?.version == "1.0" })  // close-delimited (no length, no chunks)
        #expect(gzipped.contains { $0.http?.request?.userAgent == "dpdkscope-test/1.0" })
        #expect(find("PUT", "/upload/file.bin")?.http?.response?.statusCode == 201)
        #expect(find("PUT", "/upload/file.bin")?.http?.request?.bodyBytes == 3000)
        #expect(find("HEAD", "/index.html")?.http?.response?.bodyBytes == 0)
        #expect(find("GET", "/a.txt?x=1&y=2")?.endpoints.server.description == "fd00:99::1")
        #expect(find("GET", "/fail")?.status == .error && find("GET", "/empty")?.status == .ok)
        #expect(events.allSatisfy { !$0.json.contains("c2VjcmV0") && !$0.json.contains("topsecret") })
    }

    @Test func portsOnlyMissesTheNonStandardPort() throws {
        var configuration = AnalyzerConfiguration()
        configuration.selection = try ProtocolSelection(parsing: "http", detectByContent: false)
        let events = try CaptureOracle.analyze("http.pcap", configuration: configuration).events
        #expect(events.count == 16 && !events.contains { $0.endpoints.serverPort == 9000 })
    }
}
