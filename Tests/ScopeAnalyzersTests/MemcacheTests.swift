@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// A binary-protocol packet: header, extras, key, value.
func memcacheBinary(request: Bool = true, opcode: UInt8, key: String = "", extras: [UInt8] = [], value: [UInt8] = [],
                    status: UInt16 = 0, opaque: UInt32 = 0, cas: UInt64 = 0) -> [UInt8] {
    let body = extras.count + key.utf8.count + value.count
    var bytes: [UInt8] = [request ? 0x80 : 0x81, opcode, UInt8(key.utf8.count >> 8), UInt8(key.utf8.count & 0xFF),
                          UInt8(extras.count), 0, UInt8(status >> 8), UInt8(status & 0xFF)]
    for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: body >> shift)) }
    for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: opaque >> UInt32(shift))) }
    for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: cas >> UInt64(shift))) }
    return bytes + extras + Array(key.utf8) + value
}

extension TransactionEvent {
    var memcache: MemcacheTransaction? {
        if let value = details as? MemcacheTransaction { return value }
        return nil
    }
}

@Suite struct MemcacheTextTests {
    @Test func multiKeyGetCountsValuesWithoutKeepingThem() {
        let conversation = Conversation(steps: [
            .client("get a b c\r\n".bytes, at: 1_000),
            .server("VALUE a 0 5\r\nhello\r\nVALUE c 7 3\r\nxyz\r\nEND\r\n".bytes, at: 2_000),
        ])
        let (events, counters) = conversation.run(.memcache)
        #expect(events.count == 1)
        let event = events[0]
        #expect(event.status == .ok)
        #expect(event.memcache?.request?.keys == ["a", "b", "c"])
        #expect(event.memcache?.response?.countValues == 2)
        #expect(event.memcache?.response?.valueBytes == 8)
        #expect(event.memcache?.response?.keys == ["a", "c"])
        #expect(event.requestBytes == 11 && event.responseBytes == 43)
        #expect(event.duration == 1_000)
        #expect(counters.matched == 1 && counters.requests == 1 && counters.responses == 1)
        #expect(event.json.contains(#""memcache":{"protocol_type":"text","request":{"command":"get","type":"Load""#))
        #expect(!event.json.contains("hello"))
    }

    static let pipeline = Conversation(steps: [
        .client("set k 0 0 5\r\nhello\r\nset k2 1 60 3 noreply\r\nabc\r\nincr n 5\r\ndelete k\r\ntouch t 10\r\n".bytes, at: 1_000),
        .server("STORED\r\n6\r\nDELETED\r\nNOT_FOUND\r\n".bytes, at: 2_000),
        .client("bogus command\r\nset x 0 0 zz\r\nstats\r\nversion\r\ncas k 0 0 1 99\r\nz\r\n".bytes, at: 3_000),
        .server("ERROR\r\nCLIENT_ERROR bad command line format\r\nSTAT pid 1\r\nSTAT uptime 2\r\nEND\r\nVERSION 1.6.18\r\nEXISTS\r\n".bytes, at: 4_000),
        .client("get miss\r\nquit\r\n".bytes, at: 5_000),
        .server("END\r\n".bytes, at: 6_000),
    ])

    @Test func pipelinedCommandsPairInOrderAndNoreplyIsReportedAtOnce() {
        let (events, counters) = Self.pipeline.run(.memcache)
        #expect(events.map(\.memcache!.summary) == [
            "set k2 -> (no reply expected)", "set k -> STORED", "incr n -> COUNTER 6", "delete k -> DELETED",
            "touch t -> NOT_FOUND", "unknown -> ERROR", "set -> CLIENT_ERROR", "stats -> STAT ×2",
            "version -> VERSION", "cas k -> EXISTS", "quit -> (no reply expected)", "get miss -> END",
        ])
        #expect(events.map(\.status) == [.ok, .ok, .ok, .ok, .ok, .error, .error, .ok, .ok, .ok, .ok, .ok])
        #expect(counters.matched == 10 && counters.unmatchedRequests == 0 && counters.unmatchedResponses == 0)
        let set2 = events[0].memcache!.request!
        #expect(set2.flags == 1 && set2.exptime == 60 && set2.valueBytes == 3 && set2.noreply)
        #expect(events[2].json.contains(#""value":6"#))
        #expect(events[6].json.contains(#""error_msg":"bad command line format""#))
        #expect(events[8].memcache?.response?.version == "1.6.18")
        #expect(events[9].memcache?.request?.cas == 99)
        // The unknown command's line is redacted by default.
        #expect(!events[5].json.contains("bogus command") && events[5].json.contains(#""line":"bogus""#))
        let open = Self.pipeline.run(.memcache, configuration: AnalyzerConfiguration(redactSecrets: false))
        #expect(open.events[5].json.contains(#""line":"bogus command""#))
    }

    @Test func everySplitPointGivesTheSameEvents() {
        let results = Self.pipeline.splitEverywhere(.memcache)
        #expect(results.allSatisfy { $0 == results[0] })
        #expect(results[0].count == 12)
    }

    @Test func metaCommands() {
        let (events, _) = Conversation(steps: [
            .client("ms foo 2 T90\r\nhi\r\nmg foo v\r\nmg bar v q\r\nmn\r\n".bytes, at: 1),
            .server("HD\r\nVA 2\r\nhi\r\nMN\r\n".bytes, at: 2),
        ]).run(.memcache)
        #expect(events.map(\.memcache!.summary) == ["mg bar -> (no reply expected)", "ms foo -> HD", "mg foo -> VA ×1", "mn -> MN"])
    }
}

@Suite struct MemcacheBinaryTests {
    static let getqPipeline: [UInt8] =
        memcacheBinary(opcode: 0x09, key: "k1", opaque: 1) + memcacheBinary(opcode: 0x09, key: "k2", opaque: 2)
        + memcacheBinary(opcode: 0x0A, opaque: 3)
    static let getqAnswers: [UInt8] =
        memcacheBinary(request: false, opcode: 0x09, extras: [0, 0, 0, 7], value: Array("value".utf8), opaque: 2, cas: 5)
        + memcacheBinary(request: false, opcode: 0x0A, opaque: 3)

    static let conversation = Conversation(steps: [
        .client(memcacheBinary(opcode: 0x01, key: "k", extras: [0, 0, 0, 1, 0, 0, 0, 60], value: Array(repeating: 0x41, count: 300), opaque: 9), at: 1_000),
        .server(memcacheBinary(request: false, opcode: 0x01, opaque: 9, cas: 1), at: 2_000),
        .client(getqPipeline, at: 3_000),
        .server(getqAnswers, at: 4_000),
        .client(memcacheBinary(opcode: 0x10, opaque: 4), at: 5_000),
        .server(memcacheBinary(request: false, opcode: 0x10, key: "pid", value: Array("42".utf8), opaque: 4)
            + memcacheBinary(request: false, opcode: 0x10, key: "uptime", value: Array("9".utf8), opaque: 4)
            + memcacheBinary(request: false, opcode: 0x10, opaque: 4), at: 6_000),
        .client(memcacheBinary(opcode: 0x00, key: "gone", opaque: 5), at: 7_000),
        .server(memcacheBinary(request: false, opcode: 0x00, value: Array("Not found".utf8), status: 1, opaque: 5), at: 8_000),
        .client(memcacheBinary(opcode: 0x05, key: "n", extras: Array(repeating: 0, count: 20), opaque: 6), at: 9_000),
        .server(memcacheBinary(request: false, opcode: 0x05, value: Array("Non-numeric server-side value for incr or decr".utf8), status: 6, opaque: 6), at: 10_000),
    ])

    @Test func quietPipelineSettlesByOpaque() {
        let (events, counters) = Self.conversation.run(.memcache)
        #expect(events.map(\.memcache!.summary) == [
            "set k -> Success", "get k1 -> (no reply expected)", "get k2 -> Success ×1", "noop -> Success",
            "stats -> Success ×2", "get gone -> Key not found", "incr n -> Incr/Decr on non-numeric value",
        ])
        #expect(events.map(\.status) == [.ok, .ok, .ok, .ok, .ok, .ok, .error])
        #expect(counters.requests == 7 && counters.responses == 6 && counters.matched == 6)
        let set = events[0].memcache!.request!
        #expect(set.flags == 1 && set.exptime == 60 && set.valueBytes == 300 && set.opaque == 9)
        #expect(events[0].requestBytes == 24 + 8 + 1 + 300)
        #expect(events[2].memcache?.response?.flags == 7 && events[2].memcache?.response?.cas == 5)
        #expect(events[1].json.contains(#""opcode":"getq","opcode_value":9"#) && events[1].json.contains(#""quiet":true"#))
        #expect(events[4].responseBytes == 24 * 3 + 3 + 2 + 6 + 1)
        #expect(events[2].json.contains(#""protocol_type":"binary""#))
    }

    @Test func everySplitPointGivesTheSameEvents() {
        let results = Self.conversation.splitEverywhere(.memcache)
        #expect(results.allSatisfy { $0 == results[0] })
        #expect(results[0].count == 7)
    }

    @Test func quietRequestsLeftAtTheEndSucceededSilently() {
        let (events, counters) = Conversation(steps: [
            .client(memcacheBinary(opcode: 0x11, key: "a", extras: Array(repeating: 0, count: 8), value: [1], opaque: 1), at: 1),
        ]).run(.memcache)
        #expect(events.count == 1 && events[0].status == .ok && counters.unmatchedRequests == 0)
    }

    @Test func saslCredentialsAreNeverEmitted() {
        let (events, _) = Conversation(steps: [
            .client(memcacheBinary(opcode: 0x21, key: "PLAIN", value: Array("\0user\0hunter2".utf8), opaque: 1), at: 1),
            .server(memcacheBinary(request: false, opcode: 0x21, value: Array("Authenticated".utf8), opaque: 1), at: 2),
        ]).run(.memcache)
        #expect(events.count == 1 && events[0].memcache?.request?.command == "sasl_auth")
        #expect(!events[0].json.contains("hunter2") && events[0].json.contains(#""type":"Auth""#))
    }
}

@Suite struct MemcacheWordTableTests {
    /// The byte tables the parser looks words up in name exactly the sets
    /// the String path (non-ASCII words, detection) checks.
    @Test func byteTablesMatchTheWordSets() {
        #expect(Set(MemcacheTextLine.requestCommandNames) == MemcacheTextLine.requestCommands)
        #expect(MemcacheTextLine.requestCommandNames.count == MemcacheTextLine.requestCommands.count)
        #expect(Set(MemcacheTextLine.responseWordNames) == MemcacheTextLine.responseWords)
        #expect(MemcacheTextLine.responseWordNames.count == MemcacheTextLine.responseWords.count)
    }

    @Test func wordsAreFoundByBytesAndOthersDecoded() {
        func look(_ text: [UInt8]) -> (String, Bool) {
            text.withUnsafeBytes {
                MemcacheTextLine.word($0, max: 32, names: MemcacheTextLine.requestCommandList, set: MemcacheTextLine.requestCommands)
            }
        }
        #expect(look(Array("get".utf8)) == ("get", true))
        #expect(look(Array("cache_memlimit".utf8)) == ("cache_memlimit", true))
        #expect(look(Array("gett".utf8)) == ("gett", false))
        #expect(look(Array("GET".utf8)) == ("GET", false))
        // Over the limit: the first 32 bytes, as before.
        let long = Array(String(repeating: "g", count: 40).utf8)
        #expect(look(long) == (String(repeating: "g", count: 32), false))
        // Not ASCII: decoded (invalid UTF-8 replaced) and looked up as a String.
        #expect(look([0x67, 0xFF]) == ("g\u{FFFD}", false))
    }
}
