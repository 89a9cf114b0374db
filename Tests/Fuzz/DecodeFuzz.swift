// libFuzzer entry point for the whole ScopeDecode pipeline: decoder, IP
// fragment reassembly, flow table and TCP stream reassembly, with state kept
// across the packets of one input. Not a SwiftPM target: Scripts/fuzz.sh
// compiles it together with Sources/ScopeDecode/*.swift as one module.
//
// Input format (Tests/Fuzz/make-corpus.sh writes it from pcap files):
//   byte 0          link type: LinkType(rawValue: byte % number of cases),
//                   so 0 = Ethernet, 1 = raw IP, 2... the other link types
//   then records    u16 big-endian length, u8 time step, `length` packet bytes
//                   (the last record may be cut short; it is used as is)
// Time step t: t < 128 adds t milliseconds, t >= 128 adds (t - 128) seconds,
// so inputs can reach every timeout (all tiny here) in a few records.

private let millisecond: UInt64 = 1_000_000
// Reorder-buffer caps: tiny, and the global ones below twice the
// per-direction ones, so two directions each holding two full-size
// segments already force a global eviction.
private let directionBytes = 3_000, directionSegments = 6
private let globalBytes = 4_000, globalSegments = 8

/// Checks what the reassembler promises a sink: calls only between opened
/// and closed, no empty deliveries, gaps of sane size. Reads every
/// delivered byte so the address sanitizer sees any bad pointer.
private struct CheckingSink: StreamSink {
    static let slots = 8
    var open = [Bool](repeating: false, count: CheckingSink.slots)
    var generation = [UInt32](repeating: 0, count: CheckingSink.slots)
    var checksum: UInt8 = 0

    mutating func check(_ stream: TCPStream) {
        precondition(stream.id.slot < CheckingSink.slots && open[stream.id.slot], "call for a connection not open")
        precondition(generation[stream.id.slot] == stream.id.generation, "stale connection id")
    }

    mutating func opened(_ stream: TCPStream, timestamp: UInt64) {
        precondition(stream.id.slot < CheckingSink.slots && !open[stream.id.slot], "opened twice")
        open[stream.id.slot] = true
        generation[stream.id.slot] = stream.id.generation
    }

    mutating func deliver(_ bytes: UnsafeRawBufferPointer, stream: TCPStream, direction: FlowDirection,
                          timestamp: UInt64) {
        check(stream)
        precondition(!bytes.isEmpty, "empty delivery")
        for byte in bytes { checksum &+= byte }
    }

    mutating func gap(length: Int, stream: TCPStream, direction: FlowDirection, timestamp: UInt64) {
        check(stream)
        precondition(length > 0 && length <= 1 << 30, "gap of \(length) bytes")
    }

    mutating func closed(_ stream: TCPStream, reason: StreamCloseReason, timestamp: UInt64) {
        check(stream)
        open[stream.id.slot] = false
    }
}

private struct Pipeline {
    var decoder = PacketDecoder()
    var packet = DecodedPacket()
    var datagram = DecodedPacket()
    var fragments = FragmentReassembler(configuration: .init(
        maxBytes: 64 << 10, maxDatagrams: 4, timeoutNanoseconds: 500 * millisecond))
    var flows = FlowTable(configuration: .init(
        maxFlows: 8, tcpIdleTimeout: 3_000 * millisecond, udpIdleTimeout: 1_000 * millisecond,
        otherIdleTimeout: 1_000 * millisecond, closedLinger: 200 * millisecond,
        reportInterval: 1_000 * millisecond, hashSeed: 1))
    var streams = TCPStreamReassembler(configuration: .init(
        maxConnections: CheckingSink.slots, maxBufferedBytesPerDirection: directionBytes,
        maxBufferedSegmentsPerDirection: directionSegments, maxBufferedBytes: globalBytes,
        maxBufferedSegments: globalSegments, reorderTimeout: 300 * millisecond,
        idleTimeout: 2_000 * millisecond, closedLinger: 100 * millisecond))
    var sink = CheckingSink()
    var json: [UInt8] = []

    mutating func handle(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, at time: UInt64) {
        decoder.decode(bytes, linkType: linkType, into: &packet)
        if packet.fragment.isFragment {
            if let whole = fragments.add(bytes, packet: packet, timestamp: time) {
                whole.withUnsafeBytes { account($0, decodedAs: .rawIP, at: time) }
            }
            return
        }
        account(bytes, decodedAs: nil, at: time)
    }

    /// Flow table and stream reassembly for one whole datagram or frame.
    /// `decodedAs` nil: `packet` already holds the decoding of `bytes`.
    private mutating func account(_ bytes: UnsafeRawBufferPointer, decodedAs linkType: LinkType?, at time: UInt64) {
        if let linkType {
            decoder.decode(bytes, linkType: linkType, into: &datagram)
        } else {
            datagram = packet
        }
        flows.update(datagram, timestamp: time) { $0.appendJSON(to: &json) }
        streams.process(bytes, packet: datagram, timestamp: time, sink: &sink)
        flows.expire(now: time) { $0.appendJSON(to: &json) }
        flows.reportDue(now: time) { $0.appendJSON(to: &json) }
        json.removeAll(keepingCapacity: true)
        checkBounds()
    }

    func checkBounds() {
        let counters = streams.counters
        precondition(counters.bufferedBytes <= globalBytes && counters.bufferedSegments <= globalSegments,
                     "global cap exceeded")
        for direction in streams.directions {
            precondition(direction.bufferedBytes <= directionBytes && direction.bufferedSegments <= directionSegments,
                         "direction cap exceeded")
        }
        precondition(counters.openConnections <= CheckingSink.slots)
        precondition(fragments.bytesInUse <= 64 << 10, "fragment memory cap exceeded")
    }

    mutating func finish(at time: UInt64) {
        streams.flush(now: time, sink: &sink)
        flows.flush(now: time) { $0.appendJSON(to: &json) }
        let counters = streams.counters
        precondition(counters.bufferedBytes == 0 && counters.bufferedSegments == 0 && counters.openConnections == 0,
                     "flush left state behind")
        precondition(!sink.open.contains(true), "connection never closed")
        precondition(counters.opened == counters.closed, "opened \(counters.opened) closed \(counters.closed)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func decodeFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let linkType = LinkType.allCases[Int(input[0]) % LinkType.allCases.count]
    var pipeline = Pipeline()
    var time: UInt64 = 1_700_000_000_000_000_000
    var offset = 1
    while offset + 3 <= size {
        let length = Int(input[offset]) << 8 | Int(input[offset + 1])
        let step = UInt64(input[offset + 2])
        time &+= step < 128 ? step * millisecond : (step - 128) * 1_000_000_000
        let start = offset + 3
        let end = min(size, start + length)
        pipeline.handle(UnsafeRawBufferPointer(rebasing: input[start..<end]), linkType: linkType, at: time)
        offset = end
    }
    pipeline.finish(at: time &+ 1_000_000_000)
    return 0
}
