@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// HTTP/1.1 upgraded to h2c (RFC 7540 §3.2): HTTP/1's session hands the
/// connection to HTTP/2's at the end of the 101 (`StreamHandOver`), with
/// the upgraded request as stream 1. Hand-built conversations for the
/// offsets and the refusals; h2c-upgrade.pcap (make-h2c-upgrade.sh: Apache
/// httpd 2.4 with mod_http2, curl --http2, nghttp -u) against tshark.
@Suite struct H2CUpgradeTests {
    static let upgradeRequest = http("GET /up HTTP/1.1", "Host: a", "Connection: Upgrade, HTTP2-Settings",
                                     "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA", "")
    static let switching = http("HTTP/1.1 101 Switching Protocols", "Upgrade: h2c", "Connection: Upgrade", "")

    /// The 101 and the first HTTP/2 frames in one segment, as servers send them.
    static let upgrade = Conversation(steps: [
        .client(upgradeRequest, at: 1),
        .server(switching + H2.settings + H2.headers(1, H2.status(200)) + H2.data(1, Array("hi".utf8), endStream: true), at: 3),
        .client(H2.preface + H2.settings + H2.headers(3, H2.request("/next"), endStream: true), at: 4),
        .server(H2.headers(3, H2.status(404), endStream: true), at: 6),
    ])

    @Test func theUpgradedRequestIsStreamOneAndLaterStreamsFollow() {
        let (events, counters) = Self.upgrade.run(.http, counting: .http2)
        #expect(events.map(\.application) == [.http2, .http2])
        #expect(events.map { $0.h2!.summary } == ["GET /up -> 200", "GET /next -> 404"])
        #expect(events.map { $0.h2!.streamID } == [1, 3])
        #expect(events[0].duration == 2 && events[0].h2?.http.response?.bodyBytes == 2)
        #expect(events[0].notes == ["upgraded from HTTP/1.1 (101 Switching Protocols to h2c)"])
        #expect(events[0].requestBytes == UInt64(Self.upgradeRequest.count))
        #expect(events[0].responseBytes == UInt64(Self.switching.count + 9 + H2.status(200).count + 9 + 2))
        #expect(counters.handedOver == 1 && counters.matched == 2 && counters.requests == 2 && counters.skippedBytes == 0)
    }

    @Test func theHandOverIsTheSameWhereverTheSegmentsAreCut() {
        let results = Self.upgrade.splitEverywhere(.http)
        #expect(Set(results.map { $0.joined(separator: "|") }).count == 1)
        #expect(results[0].count == 2)
    }

    @Test func withoutHTTP2EnabledThe101IsReportedAndTheRestSkipped() throws {
        var configuration = AnalyzerConfiguration()
        configuration.selection = try ProtocolSelection(parsing: "http")
        let (events, counters) = Self.upgrade.run(.http, configuration: configuration)
        #expect(events.map { $0.http!.response!.statusCode } == [101])
        #expect(counters.skippedBytes > 0 && counters.handedOver == 0)
    }

    @Test func onlyA101ToH2CHandsOver() {
        // Offered but not taken (a request with a body: the server answers in HTTP/1.1).
        let declined = Conversation(steps: [
            .client(Self.upgradeRequest, at: 1),
            .server(http("HTTP/1.1 200 OK", "Content-Length: 2", "") + Array("ok".utf8), at: 2),
        ]).run(.http, counting: .http2)
        #expect(declined.events.map { $0.http?.response?.statusCode } == [200] && declined.counters.handedOver == 0)
        // A switch to another protocol (WebSocket) stays a tunnel.
        let websocket = Conversation(steps: [
            .client(http("GET /ws HTTP/1.1", "Host: a", "Connection: Upgrade", "Upgrade: websocket", ""), at: 1),
            .server(http("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", "") + [0x81, 0x00], at: 2),
        ]).run(.http, counting: .http2)
        #expect(websocket.events.map { $0.http?.response?.statusCode } == [101] && websocket.counters.handedOver == 0)
        // A 101 to h2c the request never asked for.
        let unasked = Conversation(steps: [
            .client(http("GET / HTTP/1.1", "Host: a", ""), at: 1),
            .server(Self.switching + H2.settings, at: 2),
        ]).run(.http, counting: .http2)
        #expect(unasked.events.map { $0.http?.response?.statusCode } == [101] && unasked.counters.handedOver == 0)
    }
}

@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct H2CUpgradeOracleTests {
    static let file = "h2c-upgrade.pcap"

    /// Per client port: tshark's HTTP/1 status codes and HTTP/2 `:status`
    /// values (tshark follows the upgrade too).
    static func tsharkStatuses() throws -> (http1: [String: [String]], http2: [String: [String]]) {
        var http1: [String: [String]] = [:], http2: [String: [String]] = [:]
        for row in try CaptureOracle.tshark(file, ["-d", "tcp.port==8081,http", "-Y", "tcp.srcport == 8081 && (http.response.code || http2.headers.status)",
                                                   "-e", "tcp.dstport", "-e", "http.response.code", "-e", "http2.headers.status"]) {
            if !row[1].isEmpty { http1[row[0], default: []].append(row[1]) }
            http2[row[0], default: []] += HTTP2OracleTests.values(row[2])
        }
        return (http1, http2.filter { !$0.value.isEmpty })
    }

    @Test func everyUpgradedRequestIsAnHTTP2TransactionWithTsharksStatus() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let (http1, http2) = try Self.tsharkStatuses()
        let upgradedPorts = Set(http1.filter { $0.value.contains("101") }.keys)
        #expect(upgradedPorts.count == 3)  // two curl --http2, one nghttp -u
        var ours: [String: [String]] = [:]
        for event in analysis.events where event.application == .http2 {
            ours[String(event.endpoints.clientPort), default: []].append(String(event.h2!.http.response!.statusCode))
        }
        #expect(ours.mapValues { $0.sorted() } == http2.mapValues { $0.sorted() })
        #expect(Set(ours.keys) == upgradedPorts)
        let streamOnes = analysis.events.filter { $0.h2?.streamID == 1 }
        #expect(streamOnes.count == 3 && streamOnes.allSatisfy { $0.h2!.http.request!.version == "1.1" && $0.isMatched })
        #expect(analysis.counters(.http2).handedOver == 3)
        // nghttp's second URL, on the upgraded connection.
        #expect(analysis.events.contains { $0.h2?.http.request?.target == "/second.txt" && $0.h2!.streamID > 1 })
        // The POST with a body is not upgraded: an HTTP/1.1 transaction, as tshark says.
        let plain = analysis.events.filter { $0.application == .http }
        #expect(plain.count == 1 && plain[0].http?.request?.method == "POST")
        #expect(http1[String(plain[0].endpoints.clientPort)] == [String(plain[0].http!.response!.statusCode)])
        #expect(analysis.counters(.http).skippedBytes == 0)
    }

    @Test func theUpgradedRequestKeepsItsTraceContext() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let traced = try #require(analysis.events.first { $0.h2?.http.request?.traceID != nil })
        #expect(traced.h2?.http.request?.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(traced.h2?.http.request?.parentSpanID == "b7ad6b7169203331")
        #expect(traced.h2?.streamID == 1)
    }
}
