@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// http2.pcap (make-http2.sh: nginx 1.22 h2c with curl
/// --http2-prior-knowledge and h2load) and grpc.pcap (make-grpc.sh:
/// grpcio server and client) against tshark's `http2.*` and `grpc.*`
/// fields on the same files. tshark is told the ports are HTTP/2 (`-d`);
/// we find 8080 by content (the preface wins over HTTP/1's port) and 50051
/// by port. tshark lists the fields of every frame in a packet together,
/// so the comparisons are per connection (or per stream where a packet's
/// frames belong to one stream), as multisets.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable, "tshark is missing"))
struct HTTP2OracleTests {
    static let web = "http2.pcap"
    static let grpc = "grpc.pcap"

    static func events(_ file: String, headers: Bool = false) throws -> [TransactionEvent] {
        var configuration = AnalyzerConfiguration()
        configuration.includeHTTPHeaders = headers
        return try CaptureOracle.analyze(file, configuration: configuration).events.filter { $0.application == .http2 }
    }

    static func values(_ field: String) -> [String] { field.isEmpty ? [] : field.split(separator: ",").map(String.init) }

    /// tshark's :path values per client port and :status values per client port.
    static func tsharkPathsAndStatuses() throws -> (paths: [String: [String]], statuses: [String: [String]]) {
        var paths: [String: [String]] = [:], statuses: [String: [String]] = [:]
        for row in try CaptureOracle.tshark(web, ["-d", "tcp.port==8080,http2", "-Y", "http2.headers.path || http2.headers.status",
                                                  "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "http2.headers.path",
                                                  "-e", "http2.headers.status"]) {
            paths[row[0], default: []] += values(row[2])
            statuses[row[1], default: []] += values(row[3])
        }
        return (paths.filter { !$0.value.isEmpty }, statuses.filter { !$0.value.isEmpty })
    }

    @Test func everyStreamIsATransactionWithTsharksPathAndStatus() throws {
        let events = try Self.events(Self.web)
        let (paths, statuses) = try Self.tsharkPathsAndStatuses()
        #expect(paths.values.map(\.count).reduce(0, +) == 205)  // 6 curl requests and h2load's 200 (minus curl's failed reuse: none)
        #expect(events.count == 205 && events.allSatisfy(\.isMatched))
        var ours: [String: [String]] = [:], ourStatuses: [String: [String]] = [:]
        for event in events {
            let port = String(event.endpoints.clientPort)
            ours[port, default: []].append(event.h2!.http.request!.target)
            ourStatuses[port, default: []].append(String(event.h2!.http.response!.statusCode))
        }
        #expect(ours.mapValues { $0.sorted() } == paths.mapValues { $0.sorted() })
        #expect(ourStatuses.mapValues { $0.sorted() } == statuses.mapValues { $0.sorted() })
        // h2load: 100 streams on each of its 2 connections, up to 50 at once.
        #expect(Set(events.filter { $0.h2!.streamID > 1 }.map(\.endpoints.clientPort)).count == 2)
    }

    @Test func bodyBytesAreTsharksDataLengths() throws {
        let events = try Self.events(Self.web)
        // Per connection, response DATA bytes (tshark's http2.length of DATA frames, padding aside: nginx pads none).
        var tshark: [String: Int] = [:]
        for row in try CaptureOracle.tshark(Self.web, ["-d", "tcp.port==8080,http2", "-Y", "http2.type == 0 && tcp.srcport == 8080",
                                                       "-e", "tcp.dstport", "-e", "http2.type", "-e", "http2.length"]) {
            for (type, length) in zip(Self.values(row[1]), Self.values(row[2])) where type == "0" {
                tshark[row[0], default: 0] += Int(length)!
            }
        }
        var ours: [String: Int] = [:]
        for event in events { ours[String(event.endpoints.clientPort), default: 0] += Int(event.h2!.http.response!.bodyBytes) }
        #expect(ours == tshark)
        #expect(events.contains { $0.h2!.http.request!.target == "/big.txt" && $0.h2!.http.response!.bodyBytes == 40_000 })
    }

    @Test func traceContextAndRedactionOnTheRequestTsharkShows() throws {
        let rows = try CaptureOracle.tshark(Self.web, ["-d", "tcp.port==8080,http2", "-Y", "http2.header.name == \"traceparent\"",
                                                       "-E", "aggregator=|", "-e", "tcp.srcport", "-e", "http2.header.name",
                                                       "-e", "http2.header.value"])
        #expect(rows.count == 1)
        let names = rows[0][1].split(separator: "|").map(String.init)
        let values = rows[0][2].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let parent = try #require(names.firstIndex(of: "traceparent").map { values[$0] })
        let event = try #require(try Self.events(Self.web, headers: true).first { String($0.endpoints.clientPort) == rows[0][0] })
        let parts = parent.split(separator: "-")
        #expect(event.h2?.http.request?.traceID == String(parts[1]) && event.h2?.http.request?.parentSpanID == String(parts[2]))
        #expect(event.json.contains(#""authorization":"Bearer *""#) && !event.json.contains("secret-token"))
        #expect(event.json.contains(#""tracestate":"congo=t61rcWkgMzE""#))
    }

    /// Per stream and direction: message count, bytes and compressed ones
    /// from tshark's grpc.message_length / grpc.compressed_flag.
    static func tsharkMessages() throws -> [String: (count: Int, bytes: Int, compressed: Int)] {
        var result: [String: (count: Int, bytes: Int, compressed: Int)] = [:]
        for row in try CaptureOracle.tshark(grpc, ["-d", "tcp.port==50051,http2", "-Y", "grpc", "-e", "tcp.srcport",
                                                   "-e", "http2.streamid", "-e", "grpc.message_length", "-e", "grpc.compressed_flag"]) {
            let streams = Set(values(row[1]).filter { $0 != "0" })
            guard streams.count == 1, let stream = streams.first else {
                Issue.record("a packet with gRPC messages of several streams: \(row)")
                continue
            }
            let key = (row[0] == "50051" ? "response " : "request ") + stream
            let lengths = values(row[2]).map { Int($0)! }, flags = values(row[3]).map { Int($0.dropFirst(2), radix: 16) ?? Int($0)! }
            var entry = result[key] ?? (0, 0, 0)
            entry.count += lengths.count
            entry.bytes += lengths.reduce(0, +)
            entry.compressed += flags.filter { $0 & 1 != 0 }.count
            result[key] = entry
        }
        return result
    }

    @Test func grpcCallsMessagesAndStatusesAsTsharkReadsThem() throws {
        let events = try Self.events(Self.grpc)
        #expect(events.count == 8)
        #expect(events.map { "\($0.h2!.grpc!.service)/\($0.h2!.grpc!.method)" } == [
            "demo.Echo/Say", "demo.Echo/Listen", "demo.Echo/Collect", "demo.Echo/Chat",
            "demo.Echo/Say", "demo.Echo/Say", "demo.Echo/Listen", "demo.Echo/Say"])
        let tshark = try Self.tsharkMessages()
        for event in events {
            let grpc = event.h2!.grpc!, id = String(event.h2!.streamID)
            for (key, counter) in [("request " + id, grpc.requestMessages), ("response " + id, grpc.responseMessages)] {
                let expected = tshark[key] ?? (0, 0, 0)
                #expect(Int(counter.messages) == expected.count && Int(counter.bytes) == expected.bytes
                        && Int(counter.compressed) == expected.compressed, "\(key)")
            }
        }
        // grpc-status from tshark's header fields of server HEADERS frames, per stream.
        var statuses: [String: String] = [:]
        for row in try CaptureOracle.tshark(Self.grpc, ["-d", "tcp.port==50051,http2", "-Y", "http2.header.name == \"grpc-status\"",
                                                        "-E", "aggregator=|", "-e", "http2.streamid", "-e", "http2.header.name",
                                                        "-e", "http2.header.value"]) {
            // "|" between occurrences: header values hold commas ("identity, deflate, gzip").
            let streams = Set(row[0].split(separator: "|").map(String.init).filter { $0 != "0" })
            let names = row[1].split(separator: "|").map(String.init)
            let values = row[2].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard streams.count == 1, let stream = streams.first, let index = names.firstIndex(of: "grpc-status") else { continue }
            statuses[stream] = values[index]
        }
        var ours: [String: String] = [:]
        for event in events { if let code = event.h2!.grpc!.statusCode { ours[String(event.h2!.streamID)] = String(code) } }
        #expect(ours == statuses)
        #expect(ours["9"] == "5" && events[4].h2?.grpc?.message == "no such note" && events[4].status == .error)
    }

    @Test func deadlineAndCancelAreTsharksResets() throws {
        let events = try Self.events(Self.grpc)
        var resets: [String: String] = [:]
        for row in try CaptureOracle.tshark(Self.grpc, ["-d", "tcp.port==50051,http2", "-Y", "http2.type == 3",
                                                        "-e", "http2.streamid", "-e", "http2.rst_stream.error"]) {
            for stream in Self.values(row[0]) where stream != "0" { resets[stream] = row[1] }
        }
        #expect(resets == ["11": "8", "13": "8"])  // CANCEL both: the deadline, then the cancelled stream
        let deadline = try #require(events.first { $0.h2?.streamID == 11 })
        #expect(deadline.h2?.grpc?.timeout == "201m" && deadline.notes.contains("deadline exceeded (grpc-timeout 201m)"))
        #expect(deadline.duration >= 200_000_000 && deadline.status == .error)
        let cancelled = try #require(events.first { $0.h2?.streamID == 13 })
        #expect(cancelled.h2?.reset?.code == 8 && cancelled.h2?.reset?.byClient == true && cancelled.h2?.http.response?.statusCode == 200)
        // gzip: the request message is compressed (tshark's compressed flag), the response is not.
        let zipped = try #require(events.first { $0.h2?.streamID == 15 })
        #expect(zipped.h2?.grpc?.requestEncoding == "gzip" && zipped.h2?.grpc?.requestMessages.compressed == 1)
    }

    /// `--proto grpc`: the streams kept are those tshark sees open with a
    /// gRPC content type (by :path, as a multiset), on both fixtures; the
    /// rest are counted `unselected`, and the calls are the same as under
    /// the default selection.
    @Test(arguments: [grpc, web])
    func grpcAloneKeepsTheStreamsTsharkCallsGRPC(_ file: String) throws {
        let selection = AnalyzerConfiguration(selection: try ProtocolSelection(parsing: "grpc"))
        let analysis = try CaptureOracle.analyze(file, configuration: selection)
        var tshark: [String] = []
        for row in try CaptureOracle.tshark(file, ["-d", "tcp.port==50051,http2", "-d", "tcp.port==8080,http2",
                                                   "-Y", "http2.headers.content_type matches \"^application/grpc\" && http2.headers.path",
                                                   "-e", "http2.headers.path"]) {
            tshark += Self.values(row[0])
        }
        #expect(analysis.events.map { $0.h2!.http.request!.target }.sorted() == tshark.sorted())
        #expect(analysis.events.allSatisfy { $0.application == .http2 && $0.h2?.grpc != nil })
        let everything = try Self.events(file).filter { $0.h2?.grpc != nil }
        #expect(analysis.events.map(\.fingerprint) == everything.map(\.fingerprint))
        let counters = analysis.counters(.http2)
        #expect(counters.transactions == UInt64(tshark.count))
        #expect(counters.unselected == UInt64(try Self.events(file).count - tshark.count))
        #expect(file == Self.grpc ? tshark.count == 8 : counters.unselected == 205)
    }
}
