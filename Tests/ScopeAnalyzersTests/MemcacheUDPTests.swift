@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// The UDP correlator fed datagrams directly (frame header + payload).
@Suite struct MemcacheUDPTests {
    struct Feed {
        let context = AnalyzerContext(configuration: AnalyzerConfiguration())

        func send(_ id: UInt16, seq: UInt16 = 0, total: UInt16 = 1, _ body: [UInt8], fromClient: Bool, at time: UInt64) {
            var packet = DecodedPacket()
            packet.transport = .udp
            let client = IPAddress("10.0.0.1")!, server = IPAddress("10.0.0.2")!
            packet.source = fromClient ? client : server
            packet.destination = fromClient ? server : client
            packet.sourcePort = fromClient ? 40000 : 11211
            packet.destinationPort = fromClient ? 11211 : 40000
            let frame = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF),
                         UInt8(total >> 8), UInt8(total & 0xFF), 0, 0] + body
            frame.withUnsafeBytes { context.memcacheUDP.datagram($0, packet: packet, timestamp: time) }
        }

        func finish(at time: UInt64) -> [TransactionEvent] {
            context.memcacheUDP.drain(now: time)
            var events: [TransactionEvent] = []
            context.drainEvents { events.append($0) }
            return events
        }
    }

    @Test func multiDatagramResponsePairsByRequestID() {
        let feed = Feed()
        feed.send(1, "get a\r\n".bytes, fromClient: true, at: 1)
        feed.send(2, "get b\r\n".bytes, fromClient: true, at: 2)
        // Answers interleaved: b in two datagrams of one write, a in two "1 of 1" writes.
        feed.send(2, seq: 0, total: 2, "VALUE b 0 10\r\n01234".bytes, fromClient: false, at: 3)
        feed.send(1, "VALUE a 0 1\r\nx\r\n".bytes, fromClient: false, at: 4)
        feed.send(2, seq: 1, total: 2, "56789\r\nEND\r\n".bytes, fromClient: false, at: 5)
        feed.send(1, "END\r\n".bytes, fromClient: false, at: 6)
        let events = feed.finish(at: 7)
        #expect(events.map(\.memcache!.summary) == ["get b -> VALUE ×1", "get a -> VALUE ×1"])
        #expect(events.map(\.duration) == [3, 5])
        #expect(events.allSatisfy { $0.status == .ok && $0.endpoints.transport == .udp && $0.endpoints.serverPort == 11211 })
        #expect(events[0].memcache?.response?.valueBytes == 10 && events[0].responseBytes == 31)
    }

    @Test func lostDatagramsUnansweredAndStrayResponses() {
        let feed = Feed()
        feed.send(1, "get a\r\n".bytes, fromClient: true, at: 1)
        feed.send(1, seq: 0, total: 3, "VALUE a 0 3000\r\n".bytes + Array(repeating: 0x61, count: 1000), fromClient: false, at: 2)
        feed.send(1, seq: 2, total: 3, Array(repeating: 0x61, count: 1000) + "\r\nEND\r\n".bytes, fromClient: false, at: 3)
        feed.send(2, "get b\r\n".bytes, fromClient: true, at: 4)
        feed.send(3, "STORED\r\n".bytes, fromClient: false, at: 5)
        feed.send(4, "set c 0 0 1 noreply\r\nc\r\n".bytes, fromClient: true, at: 6)
        let events = feed.finish(at: 7)
        #expect(events.map(\.memcache!.summary) == ["get a -> VALUE ×1", "? -> STORED", "set c -> (no reply expected)", "get b -> ?"])
        #expect(events[0].notes.contains("datagram 1 of 3 missing or out of order"))
        #expect(events.map(\.status) == [.error, .error, .ok, .error])
        let counters = feed.context.counters(.memcache)
        #expect(counters.unmatchedRequests == 1 && counters.unmatchedResponses == 1)
    }

    @Test func binaryOverUDPAndGarbage() {
        let feed = Feed()
        feed.send(9, memcacheBinary(opcode: 0x00, key: "k", opaque: 3), fromClient: true, at: 1)
        feed.send(9, memcacheBinary(request: false, opcode: 0x00, extras: [0, 0, 0, 0], value: [1, 2], opaque: 3), fromClient: false, at: 2)
        var packet = DecodedPacket()
        packet.sourcePort = 40000
        packet.destinationPort = 11211
        [0, 1, 2].withUnsafeBytes { feed.context.memcacheUDP.datagram($0, packet: packet, timestamp: 3) }
        let events = feed.finish(at: 4)
        #expect(events.map(\.memcache!.summary) == ["get k -> Success ×1"])
        #expect(feed.context.counters(.memcache).parseErrors == 1)
    }
}
