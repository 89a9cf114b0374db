import Testing
@testable import ScopeAnalyzers

/// redis.pcap (make-redis.sh: redis-server 7 and redis-cli / redis-benchmark)
/// through the `dpdkscope read` path, compared with tshark's `resp`
/// dissector. tshark decodes RESP2 only: it shows inline commands as
/// `resp.fragment`, does not know RESP3 types (`%`, `>`, ...), and loses
/// itself in the RESP3 COMMAND DOCS map; where it cannot see, the raw
/// payload (first bytes of server segments) is the reference instead.
@Suite(.enabled(if: CaptureOracle.tsharkAvailable))
struct RedisOracleTests {
    static func text(hex: Substring) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0x3F)
            index = next
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Per client port, the arrays of each segment tshark decoded, walked
    /// by `resp.array.length` over the flat `resp.bulk_string.value` list.
    static func tsharkArrays(_ filter: String, port field: String) throws -> [String: [[String]]] {
        var arrays: [String: [[String]]] = [:]
        for row in try CaptureOracle.tshark("redis.pcap", ["-Y", filter, "-e", field, "-e", "resp.array.length",
                                                           "-e", "resp.bulk_string.value"]) where row.count == 3 {
            let values = row[2].split(separator: ",").map { text(hex: $0) }
            var next = 0
            for length in row[1].split(separator: ",").compactMap({ Int($0) }) {
                let end = min(next + max(length, 0), values.count)
                arrays[row[0], default: []].append(Array(values[next..<end]))
                next = end
            }
        }
        return arrays
    }

    @Test func everyCommandOnEveryConnectionAgrees() throws {
        let analysis = try CaptureOracle.analyze("redis.pcap")
        let counters = analysis.counters(.redis)
        var ours: [String: [String]] = [:]
        for event in analysis.events where event.redis?.push == nil {
            ours[String(event.endpoints.clientPort), default: []].append(event.redis?.command?.name ?? "?")
        }
        // tshark must not have split a command array across segments, or the walk below would be wrong.
        #expect(try CaptureOracle.tshark("redis.pcap", ["-Y", "tcp.dstport == 6379 && resp.reassembled_in_next_frame",
                                                        "-e", "frame.number"]).isEmpty)
        var theirs = try Self.tsharkArrays("resp && tcp.dstport == 6379", port: "tcp.srcport")
            .mapValues { $0.map { $0.first?.uppercased() ?? "" } }
        // The one inline connection (PING, SET, GET typed as text): tshark shows
        // three resp.fragment segments and no arrays; we parse the lines.
        let inline = try CaptureOracle.tshark("redis.pcap", ["-Y", "resp.fragment && tcp.dstport == 6379", "-e", "tcp.srcport"])
        #expect(inline.count == 3 && Set(inline.map { $0[0] }).count == 1)
        if let port = inline.first?[0] {
            #expect(theirs[port] == nil)
            #expect(ours[port] == ["PING", "SET", "GET"])
            theirs[port] = ours[port]
        }
        #expect(ours == theirs)
        // 16 pipelined commands per segment in the benchmark, all paired.
        let all = theirs.values.flatMap { $0 }
        // redis-benchmark's 2000 each, plus SETs/GETs from redis-cli and the inline client.
        #expect(["SET", "GET", "LPUSH"].map { name in all.filter { $0 == name }.count } == [2003, 2004, 2001])
        #expect(counters.requests == UInt64(all.count) && counters.matched == counters.requests)
        #expect(counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0 && counters.parseErrors == 0)
        #expect(counters.gaps == 0 && counters.skippedBytes == 0)
    }

    @Test func pubSubMessagesArePushesNotReplies() throws {
        let analysis = try CaptureOracle.analyze("redis.pcap")
        // RESP2 subscriber: the pub/sub kind words among tshark's bulk values
        // from the server, in order (confirmations end in an integer, so
        // the array walk over bulk values alone does not apply here; the
        // channels and payloads are other words).
        let rows = try CaptureOracle.tshark("redis.pcap", ["-Y", "resp && tcp.srcport == 6379", "-e", "tcp.dstport",
                                                           "-e", "resp.bulk_string.value"])
        var kindsByPort: [String: [String]] = [:]
        for row in rows where row.count == 2 {
            let words = row[1].split(separator: ",").map { Self.text(hex: $0) }
            kindsByPort[row[0], default: []] += words.filter { ["subscribe", "message"].contains($0) }
        }
        let subscriber = try #require(analysis.events.first { $0.redis?.command?.name == "SUBSCRIBE" }).endpoints.clientPort
        #expect(kindsByPort[String(subscriber)] == ["subscribe", "subscribe", "message", "message", "message"])
        let ours = analysis.events.filter { $0.endpoints.clientPort == subscriber }
        #expect(ours.map { $0.redis?.push?.kind ?? $0.redis?.command?.name ?? "?" }
                    == ["SUBSCRIBE", "SUBSCRIBE", "MESSAGE", "MESSAGE", "MESSAGE"])
        #expect(ours.map { $0.redis?.push == nil } == [true, false, false, false, false])  // the first pairs
        // RESP3 subscriber: tshark cannot decode `>`; the server segments
        // starting with '>' are the reference (confirmation + 2 pmessages).
        let pushes = try CaptureOracle.tshark("redis.pcap", ["-Y", "tcp.srcport == 6379 && tcp.payload[0:1] == 3e",
                                                             "-e", "tcp.dstport"])
        #expect(pushes.count == 3)
        let resp3 = analysis.events.filter { String($0.endpoints.clientPort) == pushes.first?[0] }
        #expect(resp3.map { $0.redis?.push?.kind ?? $0.redis?.command?.name ?? "?" }
                    == ["HELLO", "PSUBSCRIBE", "PMESSAGE", "PMESSAGE"])
        #expect(resp3.filter { $0.redis?.reply != nil }.count - 1 == pushes.count)  // HELLO's map is not a push
    }

    @Test func errorsAndRedaction() throws {
        let analysis = try CaptureOracle.analyze("redis.pcap")
        let errors = analysis.events.compactMap { event -> String? in
            guard let reply = event.redis?.reply, reply.isError else { return nil }
            #expect(event.status == .error)
            return reply.text
        }
        // Both the RESP2 and the RESP3 connection's errors (a simple error is
        // the same in both), each a server segment starting with "-ERR".
        let tsharkErrors = try CaptureOracle.tshark("redis.pcap", ["-Y", "resp.error", "-e", "resp.error"]).map { $0[0] }
        let raw = try CaptureOracle.tshark("redis.pcap", ["-Y", "tcp.srcport == 6379 && tcp.payload[0:4] == 2d:45:52:52",
                                                          "-e", "tcp.stream"])
        #expect(tsharkErrors == errors && raw.count == errors.count)
        #expect(errors == Array(repeating: "ERR value is not an integer or out of range", count: 2))
        // The AUTH password is on the wire, never in our events.
        let auth = try Self.tsharkArrays("resp && tcp.dstport == 6379", port: "tcp.srcport").values
            .flatMap { $0 }.filter { $0.first == "AUTH" }
        #expect(auth == [["AUTH", "default", "not-the-password"]])
        let json = analysis.events.map(\.json).joined()
        #expect(!json.contains("not-the-password") && json.contains(#""query":"AUTH <redacted> <redacted>""#))
    }

    /// With no port configured for Redis, content detection (among every
    /// protocol) finds each connection and the events are the same.
    @Test func contentDetectionFindsEveryConnection() throws {
        var table = Dictionary(uniqueKeysWithValues: ApplicationProtocol.allCases.map { ($0, $0.defaultPorts) })
        table[.redis] = []
        let configuration = AnalyzerConfiguration(selection: ProtocolSelection(table: table, detectByContent: true))
        let byContent = try CaptureOracle.analyze("redis.pcap", configuration: configuration)
        let byPort = try CaptureOracle.analyze("redis.pcap")
        let connections = try CaptureOracle.tshark("redis.pcap", ["-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                                                  "-e", "tcp.stream"])
        #expect(byContent.counters(.redis).detectedByContent == UInt64(connections.count))
        #expect(byPort.counters(.redis).detectedByPort == UInt64(connections.count))
        #expect(byContent.events.map(\.line) == byPort.events.map(\.line))
    }
}
