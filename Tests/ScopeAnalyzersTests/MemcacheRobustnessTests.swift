@testable import ScopeAnalyzers
import ScopeDecode
import Testing

@Suite struct MemcacheRobustnessTests {
    @Test func gapInsideADataBlockIsAbsorbed() {
        let (events, counters) = Conversation(steps: [
            .client("set k 0 0 100\r\n".bytes + Array(repeating: 0x61, count: 10), at: 1),
            .clientGap(80, at: 2),
            .client(Array(repeating: 0x61, count: 10) + "\r\nget k\r\n".bytes, at: 3),
            .server("STORED\r\nEND\r\n".bytes, at: 4),
        ]).run(.memcache)
        #expect(events.map(\.memcache!.summary) == ["set k -> STORED", "get k -> END"])
        #expect(events.allSatisfy { $0.status == .ok })
        #expect(counters.gaps == 1 && counters.gapsAbsorbed == 1 && counters.gapBytes == 80)
    }

    @Test func responseGapGivesUpQueuedRequestsAndResynchronises() {
        let (events, counters) = Conversation(steps: [
            .client("get a\r\nget b\r\n".bytes, at: 1),
            .server("VALUE a 0 3\r\n".bytes, at: 2),
            .serverGap(40, at: 3),
            .server("llo\r\nEND\r\n".bytes, at: 4),
            .client("get c\r\n".bytes, at: 5),
            .server("END\r\n".bytes, at: 6),
        ]).run(.memcache)
        // The VALUE for a was cut (partial response pairs with a, noted);
        // b is given up; "llo" is skipped; the END after the gap cannot be
        // known to belong to b, and a fresh END answers c.
        #expect(events.map(\.memcache!.summary) == ["get a -> VALUE ×1", "get b -> ?", "? -> END", "get c -> END"])
        #expect(events.map(\.status) == [.error, .error, .error, .ok])
        #expect(counters.unmatchedRequests == 1 && counters.unmatchedResponses == 1 && counters.skippedBytes == 5)
    }

    @Test func requestGapSetsABarrier() {
        let (events, counters) = Conversation(steps: [
            .client("get a\r\nget b".bytes, at: 1),
            .clientGap(30, at: 2),
            .client("get c\r\n".bytes, at: 4),
            .server("END\r\nEND\r\n".bytes, at: 3),
            .server("END\r\n".bytes, at: 5),
        ]).run(.memcache)
        #expect(events.map(\.memcache!.summary) == ["get a -> END", "? -> END", "get c -> END"])
        #expect(counters.unmatchedResponses == 1)
    }

    @Test func midStreamStartSkipsToTheFirstCommand() {
        let (events, counters) = Conversation(steps: [
            .client("rld of data\r\nmore\r\nget a\r\n".bytes, at: 1),
            .server("ue\r\nEND\r\nVALUE a 0 1\r\nx\r\nEND\r\n".bytes, at: 2),
        ]).run(.memcache)
        // "END" is a valid response start; with nothing pending it is unmatched.
        #expect(events.map(\.memcache!.summary) == ["get a -> END", "? -> VALUE ×1"])
        #expect(counters.skippedBytes == 19 + 4)
        #expect(counters.parseErrors == 0)
    }

    @Test func timeoutsBecomeErrorEvents() {
        let (events, counters) = Conversation(steps: [
            .client("get slow\r\n".bytes, at: 1_000_000_000),
            .expire(at: 12_000_000_000),
        ], close: nil).run(.memcache)
        #expect(events.count == 1 && events[0].status == .error && counters.timeouts == 1)
        #expect(events[0].notes == ["no response within 10000 ms"])
    }

    @Test func endlessLineIsDroppedWithBoundedMemory() {
        let configuration = AnalyzerConfiguration(maxHeaderBytes: 1024)
        var steps: [Conversation.Step] = [.client("get ".bytes, at: 1)]
        for index in 0..<200 { steps.append(.client(Array(repeating: 0x6B, count: 5000), at: UInt64(2 + index))) }
        steps.append(.client("\r\nget ok\r\n".bytes, at: 300))
        steps.append(.server("END\r\n".bytes, at: 301))
        let (events, counters) = Conversation(steps: steps).run(.memcache, configuration: configuration)
        #expect(counters.oversized == 1)
        #expect(counters.skippedBytes == 4 + 200 * 5000 + 2)
        #expect(events.map(\.memcache!.summary) == ["get ok -> END"])
    }

    @Test func hugeLengthPrefixIsCountedNotBuffered() {
        let (events, counters) = Conversation(steps: [
            .client("set big 0 0 2000000000\r\n".bytes + Array(repeating: 0, count: 4096), at: 1),
            .client(memcacheBinary(opcode: 0x01, key: "k", extras: Array(repeating: 0, count: 8)).prefix(24) + [0, 0], at: 2),
        ]).run(.memcache)
        #expect(events.count == 1 && events[0].status == .error)
        #expect(events[0].memcache?.request?.valueBytes == 2_000_000_000)
        #expect(events[0].notes.first == "incomplete at connection closed")
        #expect(counters.requests == 1)
        // A binary body length of 4 GiB is skipped the same way.
        // Past the first message (at a start, such a header is not believed).
        var header = memcacheBinary(opcode: 0x01, key: "k", extras: Array(repeating: 0, count: 8))
        header[8...11] = [0xFF, 0xFF, 0xFF, 0xFF]
        let binary = Conversation(steps: [.client(memcacheBinary(opcode: 0x0A) + header + Array(repeating: 1, count: 70_000), at: 1)])
            .run(.memcache)
        #expect(binary.events.count == 2 && binary.events[1].memcache?.request?.valueBytes == 0xFFFF_FFFF - 9)
    }

    @Test func neverAnsweredPipelineIsBounded() {
        let configuration = AnalyzerConfiguration(maxPendingPerConnection: 100)
        let requests = Array(repeating: "get k\r\n", count: 1000).joined().bytes
        let (events, counters) = Conversation(steps: [.client(requests, at: 1)]).run(.memcache, configuration: configuration)
        #expect(counters.evictions == 900 && counters.unmatchedRequests == 1000 && events.count == 1000)
    }

    @Test func garbageFromTheServerIsSkippedNotPaired() {
        let (events, counters) = Conversation(steps: [
            .client("get a\r\n".bytes, at: 1),
            .server([0x81, 0xFF] + Array(repeating: 0x78, count: 30) + "\n".bytes + "END\r\n".bytes, at: 2),
        ]).run(.memcache)
        #expect(events.map(\.memcache!.summary) == ["get a -> END"])
        #expect(counters.skippedBytes == 33)
    }
}

@Suite struct MemcacheDetectionTests {
    func match(_ bytes: [UInt8]) -> ContentMatch { bytes.withUnsafeBytes { MemcacheDetection.matchStream($0) } }
    func datagram(_ bytes: [UInt8]) -> ContentMatch { bytes.withUnsafeBytes { MemcacheDetection.matchDatagram($0) } }

    @Test func textCommandsAndResponses() {
        #expect(match("get foo\r\n".bytes) == .fromClient)
        #expect(match("set foo 0 0 3\r\n".bytes) == .fromClient)
        #expect(match("stats\r\n".bytes) == .fromClient)
        #expect(match("ge".bytes) == .needMore)
        #expect(match("get ".bytes) == .needMore)
        #expect(match("VALUE foo 0 3\r\n".bytes) == .fromServer)
        #expect(match("STORED\r\n".bytes) == .fromServer)
        #expect(match("END\r".bytes) == .needMore)
    }

    @Test func otherProtocolsAreNotClaimed() {
        #expect(match("GET / HTTP/1.1\r\n".bytes) == .no)
        #expect(match("HTTP/1.1 200 OK\r\n".bytes) == .no)
        #expect(match("DELETE /x HTTP/1.1\r\n".bytes) == .no)
        #expect(match("*2\r\n$3\r\nGET\r\n".bytes) == .no)
        #expect(match("+OK\r\n".bytes) == .no)
        #expect(match("OK\r\n".bytes) == .no)
        #expect(match("ERROR\r\n".bytes) == .no)
        #expect(match("SSH-2.0-OpenSSH\r\n".bytes) == .no)
        #expect(match([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]) == .no)
        #expect(match("getaddrinfo-and-more".bytes) == .no)
        #expect(match("get  \r\n".bytes) == .no)
    }

    @Test func binaryHeaders() {
        #expect(match(memcacheBinary(opcode: 0x00, key: "k")) == .fromClient)
        #expect(match(memcacheBinary(request: false, opcode: 0x00, status: 1)) == .fromServer)
        #expect(match(Array(memcacheBinary(opcode: 0x00, key: "k").prefix(10))) == .needMore)
        #expect(match([0x80, 0x77]) == .no)
        var bad = memcacheBinary(opcode: 0x00, key: "k")
        bad[5] = 1  // data type must be raw
        #expect(match(bad) == .no)
        #expect(match(memcacheBinary(request: false, opcode: 0x00, status: 0x4242)) == .no)
    }

    @Test func udpFrames() {
        #expect(datagram([0, 1, 0, 0, 0, 1, 0, 0] + "get foo\r\n".bytes) == .fromClient)
        #expect(datagram([0, 1, 0, 0, 0, 2, 0, 0] + "VALUE foo 0 3\r\n".bytes) == .fromServer)
        #expect(datagram([0, 1, 0, 1, 0, 2, 0, 0] + "VALUE foo 0 3\r\n".bytes) == .no)
        #expect(datagram([0, 1, 0, 0, 0, 1, 0, 1] + "get foo\r\n".bytes) == .no)
        #expect(datagram([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]) == .no)  // DNS-like
    }
}
