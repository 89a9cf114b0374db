@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// memcache.pcap (make-memcache.sh: real memcached, python3 text/binary/UDP
/// clients, libmemcached tools) through the `dpdkscope read` path, compared
/// with tshark's memcache dissector (requests and responses as it sees them,
/// it does not pair) and, for UDP, which tshark does not dissect, with the
/// raw datagrams.
@Suite struct MemcacheOracleTests {
    static let file = "memcache.pcap"

    /// Events ordered by when their request (else response) started.
    static func ordered(_ events: [TransactionEvent], transport: TransactionTransport) -> [MemcacheTransaction] {
        events.enumerated().filter { $0.element.endpoints.transport == transport }
            .sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }
            .compactMap(\.element.memcache)
    }

    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func everythingPairsAndNothingIsLost() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let counters = analysis.counters(.memcache)
        #expect(analysis.events.count == 71)
        #expect(counters.requests == 71 && counters.matched == 64)
        // The 7 without a response expected none: text noreply set, three
        // text quits, binary GETQ miss and two SETQ in the quiet pipeline.
        let silent = analysis.events.filter { $0.memcache?.response == nil }
        #expect(silent.count == 7 && silent.allSatisfy { $0.status == .ok && $0.memcache!.expectsNoResponse })
        #expect(counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0)
        #expect(counters.parseErrors == 0 && counters.skippedBytes == 0 && counters.gaps == 0)
        // Errors are exactly the server's error answers.
        #expect(analysis.events.filter { $0.status == .error }.map(\.memcache!.summary)
            == ["incr k1 -> CLIENT_ERROR", "unknown -> ERROR", "incr b1 -> Incr/Decr on non-numeric value"])
    }

    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func textRequestsMatchTshark() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let rows = try CaptureOracle.tshark(Self.file, ["-Y", "tcp.dstport==11211 && !(memcache.magic==128) && memcache",
                                                        "-e", "memcache.command", "-e", "memcache.key"])
        let theirs = rows.filter { !$0[0].isEmpty }.map { "\($0[0]) \($0[1])" }
        // tshark's text dissector does not know touch, verbosity, the meta
        // commands or unknown commands (it shows those segments without a
        // command): 2 touch + verbosity + ms + 2 mg + mn + bogus = 8.
        let unknownToTshark: Set = ["touch", "verbosity", "ms", "mg", "mn", "unknown"]
        let text = Self.ordered(analysis.events, transport: .tcp).compactMap(\.request).filter { !$0.binary }
        #expect(text.filter { unknownToTshark.contains($0.command) }.count == 8)
        #expect(rows.filter { $0[0].isEmpty }.count == 8)
        // tshark decodes only the first request of a segment carrying
        // several: the pipelined "get k1 / get n / get big / get quiet"
        // shows as "get k1" (3 fewer). One per start time is what it sees.
        var seen = Set<UInt64>()
        var ours: [String] = []
        for request in text where !unknownToTshark.contains(request.command) {
            guard seen.insert(request.start).inserted else { continue }
            ours.append("\(request.command) \(request.keys.joined(separator: ","))")
        }
        #expect(text.count - 8 - ours.count == 3)
        #expect(ours == theirs)
    }

    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func binaryMessagesMatchTshark() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let binary = Self.ordered(analysis.events, transport: .tcp).filter { $0.request?.binary == true }
        func flat(_ rows: [[String]], _ column: Int) -> [String] {
            rows.flatMap { $0[column].split(separator: ",").map(String.init) }
        }
        let requests = try CaptureOracle.tshark(Self.file, ["-Y", "tcp && memcache.magic==128",
                                                            "-e", "memcache.opcode", "-e", "memcache.key"])
        #expect(binary.map { String($0.request!.opcode!) } == flat(requests, 0))
        #expect(binary.flatMap(\.request!.keys) == flat(requests, 1))
        // Responses: stats come as one packet per statistic plus an empty
        // one (we report one response with count_values entries); quiet
        // requests that succeeded have none.
        let responses = try CaptureOracle.tshark(Self.file, ["-Y", "tcp && memcache.magic==129",
                                                             "-e", "memcache.opcode", "-e", "memcache.status"])
        let answered = binary.compactMap(\.response).sorted { $0.start < $1.start }
        let expanded = answered.flatMap { response in
            Array(repeating: (String(response.opcode!), String(response.statusCode!)),
                  count: response.opcode == 0x10 ? response.countValues + 1 : 1)
        }
        #expect(expanded.map(\.0) == flat(responses, 0))
        #expect(expanded.map(\.1) == flat(responses, 1))
        #expect(binary.filter { $0.response == nil }.count == 3)
    }

    @Test(.enabled(if: CaptureOracle.tsharkAvailable)) func udpMatchesTheDatagrams() throws {
        let analysis = try CaptureOracle.analyze(Self.file)
        let udp = Self.ordered(analysis.events, transport: .udp)
        // tshark has no memcache-over-UDP framing (it shows "Continuation"),
        // so the raw payloads are the oracle: 8-byte frame header, then data.
        let rows = try CaptureOracle.tshark(Self.file, ["-Y", "udp", "-e", "udp.srcport", "-e", "udp.payload"])
        let fromClient = rows.filter { $0[0] != "11211" }
        let fromServer = rows.filter { $0[0] == "11211" }
        #expect(udp.count == fromClient.count)
        #expect(udp.allSatisfy { $0.isMatched && !$0.failed })
        #expect(udp.reduce(0) { $0 + $1.request!.bytes } == fromClient.reduce(0) { $0 + UInt64($1[1].count / 2 - 8) })
        #expect(udp.reduce(0) { $0 + $1.response!.bytes } == fromServer.reduce(0) { $0 + UInt64($1[1].count / 2 - 8) })
        // The 6000-byte value came back in 5 datagrams ("n of 5"), the
        // two-key get in two writes of "1 of 1" each.
        #expect(udp.map(\.summary) == ["set udpk -> STORED", "get udpk missing -> VALUE ×1", "get udpbig -> VALUE ×1",
                                       "get udpk -> Success ×1", "version -> VERSION"])
        #expect(udp[2].response?.valueBytes == 6000)
        #expect(fromServer.count == 1 + 2 + 5 + 1 + 1)
    }
}
