import Testing
@testable import ScopeDecode

@Suite("TCP stream reassembly: ordering")
struct TCPStreamOrderingTests {
    @Test func inOrderConversationIsDeliveredZeroCopyAndClosesOnFIN() {
        var harness = StreamHarness()
        harness.handshake()
        harness.send(1001, pattern(0, 100))
        harness.send(1101, pattern(100, 50))
        harness.send(client: false, 5001, pattern(7, 300))
        harness.send(1151, flags: [.fin, .ack])
        harness.send(client: false, 5301, flags: [.fin, .ack])
        harness.send(1152)  // final ACK: absorbed by the lingering connection

        #expect(harness.sink.bytes(.fromLow) == pattern(0, 150))
        #expect(harness.sink.bytes(.fromHigh) == pattern(7, 300))
        #expect(harness.sink.zeroCopyDeliveries == 3 && harness.sink.copiedDeliveries == 0)
        #expect(harness.sink.gaps.isEmpty)
        #expect(harness.sink.events.first == .opened(slot: 0))
        #expect(harness.sink.events.last == .closed(slot: 0, .fin))
        #expect(harness.sink.clients[0] == .some(.fromLow))
        let counters = harness.reassembler.counters
        #expect(counters.deliveredBytes == 450 && counters.deliveries == 3)
        #expect(counters.closedByFIN == 1 && counters.afterClose == 1 && counters.openConnections == 0)
        #expect(counters.outOfOrderSegments == 0 && counters.retransmitsDropped == 0)
    }

    /// Every order of the same five segments yields the same bytes, no gap.
    @Test func everyPermutationOfFiveSegmentsDeliversIdenticalBytes() {
        let cuts = [0, 10, 25, 26, 60, 100]  // uneven sizes, one 1-byte segment
        let segments = (0..<5).map { (offset: cuts[$0], bytes: pattern(cuts[$0], cuts[$0 + 1] - cuts[$0])) }
        var orders = 0
        for order in permutations(Array(0..<5)) {
            var harness = StreamHarness()
            harness.handshake()
            for index in order {
                harness.send(1001 + UInt32(segments[index].offset), segments[index].bytes)
            }
            #expect(harness.sink.bytes(.fromLow) == pattern(0, 100), "order \(order)")
            #expect(harness.sink.gaps.isEmpty)
            let counters = harness.reassembler.counters
            #expect(counters.bufferedBytes == 0 && counters.bufferedSegments == 0)
            #expect(counters.reorderedThenFilled == counters.outOfOrderSegments)
            orders += 1
        }
        #expect(orders == 120)
    }

    /// Overlapping segments in every order: first arrival wins, and since
    /// all copies carry the same bytes the stream is the same every time.
    @Test func everyPermutationOfOverlappingSegmentsDeliversIdenticalBytes() {
        let ranges = [0..<30, 20..<50, 45..<60, 10..<70]
        for order in permutations(Array(0..<4)) {
            var harness = StreamHarness()
            harness.handshake()
            for index in order {
                let range = ranges[index]
                harness.send(1001 + UInt32(range.lowerBound), pattern(range.lowerBound, range.count))
            }
            #expect(harness.sink.bytes(.fromLow) == pattern(0, 70), "order \(order)")
            #expect(harness.sink.gaps.isEmpty)
            #expect(harness.reassembler.counters.bufferedBytes == 0)
        }
    }

    @Test func retransmitsAreDropped() {
        var harness = StreamHarness()
        harness.handshake()
        harness.send(1001, pattern(0, 40))
        harness.send(1001, pattern(0, 40))  // plain retransmit
        harness.send(1011, pattern(10, 20))  // inside delivered data
        harness.send(1061, pattern(60, 10))  // buffered ...
        harness.send(1061, pattern(60, 10))  // ... and retransmitted while buffered
        harness.send(1041, pattern(40, 20))
        #expect(harness.sink.bytes(.fromLow) == pattern(0, 70))
        let counters = harness.reassembler.counters
        #expect(counters.retransmitsDropped == 3)
        #expect(counters.outOfOrderSegments == 1 && counters.reorderedThenFilled == 1)
    }

    @Test func partialOverlapsKeepTheFirstCopy() {
        var harness = StreamHarness()
        harness.handshake()
        let a = [UInt8](repeating: 0x61, count: 10), b = [UInt8](repeating: 0x62, count: 10)
        let c = [UInt8](repeating: 0x63, count: 10), d = [UInt8](repeating: 0x64, count: 15)
        harness.send(1001, a)  // 0..<10 delivered
        harness.send(1006, b)  // 5..<15: first five bytes already delivered
        harness.send(1026, c)  // 25..<35 buffered
        harness.send(1016, d)  // 15..<30: its last five bytes lose to the buffered c
        let expected = a + b.suffix(5) + d.prefix(10) + c
        #expect(harness.sink.bytes(.fromLow) == expected)
        #expect(harness.reassembler.counters.overlapsTrimmed == 2)
        // An overlapping segment arriving while data is buffered is trimmed on both ends.
        harness.send(1041, c)  // 40..<50 buffered
        harness.send(1035, pattern(0, 20))  // 34..<54: 35..<40 and 50..<54 are new
        let tail = harness.sink.bytes(.fromLow).suffix(19)
        #expect(Array(tail) == Array(pattern(0, 20)[1..<6]) + c + Array(pattern(0, 20)[16..<20]))
        #expect(harness.reassembler.counters.bufferedBytes == 0)
    }

    @Test func sequenceNumbersWrapAt2To32() {
        for order in permutations(Array(0..<4)) {
            var harness = StreamHarness()
            harness.handshake(client: 0xFFFF_FFC0)  // data starts 63 bytes before the wrap
            for index in order {
                harness.send(0xFFFF_FFC1 &+ UInt32(index * 40), pattern(index * 40, 40))
            }
            harness.send(0xFFFF_FFC1 &+ 160, flags: [.fin, .ack])
            harness.send(client: false, 5001, flags: [.fin, .ack])
            #expect(harness.sink.bytes(.fromLow) == pattern(0, 160), "order \(order)")
            #expect(harness.sink.gaps.isEmpty)
            #expect(harness.sink.closes == [.closed(slot: 0, .fin)])
        }
    }

    @Test func midStreamStartBeginsAtFirstSequenceSeen() {
        var harness = StreamHarness()
        harness.send(777_000, pattern(0, 20))  // no SYN seen: capture started mid-connection
        harness.send(client: false, 99, pattern(5, 30))
        harness.send(776_990, pattern(0, 10))  // before the first byte seen: treated as a retransmit
        harness.send(777_020, pattern(20, 20))
        #expect(harness.sink.bytes(.fromLow) == pattern(0, 40))
        #expect(harness.sink.bytes(.fromHigh) == pattern(5, 30))
        #expect(harness.sink.clients[0] == .some(nil))
        #expect(harness.reassembler.counters.retransmitsDropped == 1)
        // A bare ACK does not open a connection; neither does a RST.
        var other = StreamHarness()
        other.send(1)
        other.send(1, flags: .rst)
        #expect(other.sink.events.isEmpty && other.reassembler.counters.opened == 0)
    }

    @Test func synAndFINEachConsumeOneSequenceNumber() {
        var harness = StreamHarness()
        harness.send(1000, pattern(0, 5), flags: .syn)  // TCP Fast Open: data right after the SYN's number
        harness.send(client: false, 5000, flags: [.syn, .ack])
        harness.send(1000, flags: .syn)  // retransmitted SYN: nothing new
        harness.send(1011, pattern(10, 5), flags: [.fin, .ack])  // FIN at 1016 arrives before 1006..<1011
        #expect(harness.sink.bytes(.fromLow) == pattern(0, 5))
        harness.send(1006, pattern(5, 5))
        #expect(harness.sink.bytes(.fromLow) == pattern(0, 15))
        harness.send(1017, pattern(99, 3))  // past the FIN: not stream data
        harness.send(client: false, 5001, pattern(0, 8))
        harness.send(client: false, 5009, flags: [.fin, .ack])
        #expect(harness.sink.bytes(.fromHigh) == pattern(0, 8))
        #expect(harness.sink.closes == [.closed(slot: 0, .fin)])
        let counters = harness.reassembler.counters
        #expect(counters.outOfWindow == 1 && counters.gaps == 0 && counters.closedByFIN == 1)
        // Each FIN took one number: the next expected byte is one past it.
        #expect(harness.reassembler.directions[0].nextSequence == 1017)
        #expect(harness.reassembler.directions[1].nextSequence == 5010)
    }

    @Test func resetEndsTheStreamAndFlushesBufferedData() {
        var harness = StreamHarness()
        harness.handshake()
        harness.send(1001, pattern(0, 10))
        harness.send(1021, pattern(20, 10))  // waits behind a 10-byte hole
        harness.send(client: false, 5001, flags: [.rst, .ack])
        #expect(harness.sink.events.suffix(3) == [
            .gap(.fromLow, 10), .data(.fromLow, pattern(20, 10)), .closed(slot: 0, .reset),
        ])
        harness.send(1011, pattern(10, 10))  // too late: absorbed by the closed connection
        let counters = harness.reassembler.counters
        #expect(counters.closedByReset == 1 && counters.afterClose == 1 && counters.bufferedBytes == 0)
        // A new SYN on the same tuple starts over in the same slot, new generation.
        let reopened = harness.send(9000, flags: .syn)
        #expect(reopened?.generation == 2 && harness.reassembler.counters.opened == 2)
    }

    @Test func newSYNOnAnOpenConnectionReopensIt() {
        var harness = StreamHarness()
        harness.handshake()
        harness.send(1001, pattern(0, 10))
        harness.send(70_000, flags: .syn)
        harness.send(70_001, pattern(50, 10))
        #expect(harness.sink.closes == [.closed(slot: 0, .reopened)])
        #expect(harness.sink.bytes(.fromLow) == pattern(0, 10) + pattern(50, 10))
    }
}

/// All orderings of `items` (Heap's algorithm would do; clarity wins here).
func permutations<T>(_ items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { index -> [[T]] in
        var rest = items
        let first = rest.remove(at: index)
        return permutations(rest).map { [first] + $0 }
    }
}
