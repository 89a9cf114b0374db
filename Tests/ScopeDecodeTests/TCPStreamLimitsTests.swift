import Testing
@testable import ScopeDecode

@Suite("TCP stream reassembly: limits, gaps and eviction")
struct TCPStreamLimitsTests {
    @Test func directionByteCapTurnsTheHoleIntoAGapOfExactSize() {
        var harness = StreamHarness(.small(maxBufferedBytesPerDirection: 100))
        harness.handshake()
        harness.send(1001, pattern(0, 10))
        harness.send(1021, pattern(20, 40))  // hole 10..<20
        harness.send(1061, pattern(60, 40))  // 80 bytes buffered
        #expect(harness.sink.gaps.isEmpty)
        harness.send(1101, pattern(100, 40))  // 120 > 100: give up on the hole
        #expect(Array(harness.sink.events.suffix(4)) == [
            .gap(.fromLow, 10), .data(.fromLow, pattern(20, 40)), .data(.fromLow, pattern(60, 40)),
            .data(.fromLow, pattern(100, 40)),
        ])
        let counters = harness.reassembler.counters
        #expect(counters.gaps == 1 && counters.gapBytes == 10 && counters.bufferedBytes == 0)
        // A single segment bigger than the cap is not held: gap up to it, then delivered.
        harness.send(1341, pattern(340, 150))
        #expect(Array(harness.sink.events.suffix(2)) == [.gap(.fromLow, 200), .data(.fromLow, pattern(340, 150))])
    }

    @Test func directionSegmentCapTurnsTheHoleIntoAGap() {
        var harness = StreamHarness(.small(maxBufferedSegmentsPerDirection: 2))
        harness.handshake()
        harness.send(1003, [3])
        harness.send(1005, [5])
        harness.send(1007, [7])  // third descriptor: the first hole (2 bytes) goes
        #expect(Array(harness.sink.events.suffix(2)) == [.gap(.fromLow, 2), .data(.fromLow, [3])])
        #expect(harness.reassembler.counters.bufferedSegments == 2)  // [5] and [7]
    }

    @Test func holeOlderThanReorderTimeoutBecomesAGap() {
        var harness = StreamHarness(.small(reorderTimeout: 2 * StreamHarness.second))
        harness.handshake()
        harness.send(1001, pattern(0, 10), at: 0)
        harness.send(1031, pattern(30, 10), at: 0)  // hole 10..<30
        harness.send(client: false, 5001, pattern(0, 5), at: 1)
        #expect(harness.sink.gaps.isEmpty)
        harness.send(client: false, 5006, pattern(5, 5), at: 2)  // any packet moves time on
        #expect(harness.sink.gaps == [.gap(.fromLow, 20)])
        #expect(harness.sink.bytes(.fromLow) == pattern(0, 10) + pattern(30, 10))
        #expect(harness.reassembler.counters.gapsFromTimeout == 1)

        // A FIN waiting behind missing data: the hole up to the FIN times out
        // (via an explicit expire), then the FIN counts and the connection closes.
        harness.send(1051, flags: [.fin, .ack], at: 3)
        harness.send(client: false, 5011, flags: [.fin, .ack], at: 3)
        #expect(harness.sink.closes.isEmpty)
        harness.reassembler.expire(now: 5 * StreamHarness.second, sink: &harness.sink)
        #expect(Array(harness.sink.events.suffix(2)) == [.gap(.fromLow, 10), .closed(slot: 0, .fin)])
    }

    @Test func globalMemoryCapFlushesTheOldestHoleFirst() {
        var harness = StreamHarness(.small(maxBufferedBytesPerDirection: 100, maxBufferedBytes: 100))
        for (port, time) in [(UInt16(40001), UInt64(1)), (40002, 2), (40003, 3)] {
            harness.clientPort = port
            harness.send(1000, flags: .syn, at: time)
            harness.send(1001, pattern(0, 5), at: time)
            harness.send(1011, pattern(10, 40), at: time)  // 40 bytes behind a 5-byte hole
        }
        // 40001 held the oldest hole: flushed to make room for 40003's copy.
        let counters = harness.reassembler.counters
        #expect(counters.evictedStreams == 1 && counters.evictedSegments == 1 && counters.evictedBytes == 40)
        #expect(counters.bufferedBytes == 80 && counters.bufferedSegments == 2)
        #expect(harness.sink.gaps == [.gap(.fromLow, 5)])
        #expect(harness.sink.bytes(.fromLow, slot: 0) == pattern(0, 5) + pattern(10, 40))
        #expect(harness.sink.bytes(.fromLow, slot: 1) == pattern(0, 5))
        // Segment descriptors are a global cap too.
        var segments = StreamHarness(.small(maxBufferedSegments: 2))
        segments.handshake()
        segments.send(1003, [3])
        segments.send(1005, [5])
        segments.clientPort = 40001
        segments.send(1000, flags: .syn)
        segments.send(1003, [3])
        #expect(segments.reassembler.counters.evictedStreams == 1)
        #expect(segments.reassembler.counters.evictedSegments == 2)
        #expect(segments.sink.gaps == [.gap(.fromLow, 2), .gap(.fromLow, 1)])
    }

    @Test func connectionCapEvictsTheLeastRecentlyActiveAndIdleConnectionsTimeOut() {
        var harness = StreamHarness(.small(maxConnections: 2, idleTimeout: 10 * StreamHarness.second))
        let ports: [UInt16] = [40001, 40002, 40001, 40003]
        for (time, port) in ports.enumerated() {
            harness.clientPort = port
            harness.send(1000 + UInt32(time), [UInt8(time)], at: UInt64(time))
        }
        #expect(harness.sink.closes == [.closed(slot: 1, .evicted)])  // 40002: idle since t=1
        harness.clientPort = 40004
        harness.send(1, [1], at: 20)
        #expect(harness.sink.closes.count == 3)
        #expect(harness.sink.closes.suffix(2).allSatisfy {
            if case .closed(_, .idleTimeout) = $0 { return true } else { return false }
        })
        let counters = harness.reassembler.counters
        #expect(counters.evictedConnections == 1 && counters.closedByTimeout == 2 && counters.openConnections == 1)
        #expect(counters.closed == 3 && counters.opened == 4)
    }

    @Test func lingeringClosedConnectionIsForgottenAfterClosedLinger() {
        var harness = StreamHarness(.small(closedLinger: 2 * StreamHarness.second))
        harness.handshake()
        harness.send(1001, flags: [.fin, .ack], at: 1)
        harness.send(client: false, 5001, flags: [.fin, .ack], at: 1)
        harness.send(1002, [9], at: 2)  // straggler: absorbed
        #expect(harness.reassembler.counters.afterClose == 1)
        harness.send(1002, [9], at: 4)  // linger over: a fresh mid-stream connection
        #expect(harness.reassembler.counters.opened == 2)
        #expect(harness.sink.bytes(.fromLow) == [9])
    }

    @Test func flushClosesEverythingAndReportsTrailingHoles() {
        var harness = StreamHarness()
        harness.handshake()
        harness.send(1101, pattern(100, 10))
        harness.reassembler.flush(now: 0, sink: &harness.sink)
        #expect(Array(harness.sink.events.suffix(3)) == [
            .gap(.fromLow, 100), .data(.fromLow, pattern(100, 10)), .closed(slot: 0, .flushed),
        ])
        let counters = harness.reassembler.counters
        #expect(counters.openConnections == 0 && counters.bufferedBytes == 0 && counters.closedOther == 1)
    }

    /// The in-order path hands the sink pointers into the packet buffer and
    /// never touches the segment pool. (Allocation counts are measured by
    /// the AllocCheck harness under an LD_PRELOAD malloc counter: an
    /// in-process hook is not reliable with this runtime, see the README.)
    @Test func inOrderSegmentsAreDeliveredStraightFromThePacketBuffer() {
        var harness = StreamHarness()
        harness.handshake()
        for index in 0..<200 {
            let client = index % 2 == 0
            let sequence: UInt32 = (client ? 1001 : 5001) + UInt32(index / 2 * 1000)
            harness.send(client: client, sequence, pattern(index, 1000))
        }
        #expect(harness.sink.zeroCopyDeliveries == 200 && harness.sink.copiedDeliveries == 0)
        let counters = harness.reassembler.counters
        #expect(counters.deliveredBytes == 200_000 && counters.outOfOrderSegments == 0)
        #expect(harness.reassembler.pool.used == 0 && harness.reassembler.waitingList.count == 0)
        // The first out-of-order segment is the first copy.
        harness.send(999_999, pattern(0, 10))
        #expect(harness.reassembler.pool.used == 1)
    }
}
