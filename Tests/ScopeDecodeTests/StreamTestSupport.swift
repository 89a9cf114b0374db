@testable import ScopeDecode

/// Records everything a `TCPStreamReassembler` hands over, per connection
/// slot and direction, and whether in-order bytes came straight from the
/// packet buffer being processed.
struct RecordingSink: StreamSink {
    enum Event: Equatable {
        case opened(slot: Int)
        case data(FlowDirection, [UInt8])
        case gap(FlowDirection, Int)
        case closed(slot: Int, StreamCloseReason)
    }

    var events: [Event] = []
    /// Delivered bytes per `slot * 2 + direction`.
    var streams: [Int: [UInt8]] = [:]
    var clients: [Int: FlowDirection?] = [:]
    /// The packet buffer being processed; deliveries pointing into it are zero-copy.
    var packetBuffer: UnsafeRawBufferPointer?
    var zeroCopyDeliveries = 0
    var copiedDeliveries = 0

    mutating func opened(_ stream: TCPStream, timestamp: UInt64) {
        events.append(.opened(slot: stream.id.slot))
        clients[stream.id.slot] = stream.client
    }

    mutating func deliver(_ bytes: UnsafeRawBufferPointer, stream: TCPStream, direction: FlowDirection,
                          timestamp: UInt64) {
        events.append(.data(direction, Array(bytes)))
        streams[stream.id.slot * 2 + Int(direction.rawValue), default: []] += Array(bytes)
        if let packet = packetBuffer, let start = bytes.baseAddress, let base = packet.baseAddress,
           start >= base, start + bytes.count <= base + packet.count {
            zeroCopyDeliveries += 1
        } else {
            copiedDeliveries += 1
        }
    }

    mutating func gap(length: Int, stream: TCPStream, direction: FlowDirection, timestamp: UInt64) {
        events.append(.gap(direction, length))
    }

    mutating func closed(_ stream: TCPStream, reason: StreamCloseReason, timestamp: UInt64) {
        events.append(.closed(slot: stream.id.slot, reason))
        clients[stream.id.slot] = stream.client
    }

    /// Bytes of the first connection (slot 0) in one direction.
    func bytes(_ direction: FlowDirection, slot: Int = 0) -> [UInt8] {
        streams[slot * 2 + Int(direction.rawValue)] ?? []
    }

    var gaps: [Event] { events.filter { if case .gap = $0 { return true } else { return false } } }
    var closes: [Event] { events.filter { if case .closed = $0 { return true } else { return false } } }
}

/// A TCP conversation between 10.0.0.1:40000 (the client, `.fromLow`) and
/// 10.0.0.2:80, fed through the real decoder into a reassembler.
struct StreamHarness {
    static let second: UInt64 = 1_000_000_000
    var reassembler: TCPStreamReassembler
    var sink = RecordingSink()
    var decoder = PacketDecoder()
    var packet = DecodedPacket()
    var clientPort: UInt16 = 40000

    init(_ configuration: TCPStreamReassembler.Configuration = .small()) {
        reassembler = TCPStreamReassembler(configuration: configuration)
    }

    static func frame(client: Bool, clientPort: UInt16 = 40000, sequence: UInt32, flags: TCPFlags = .ack,
                      payload: [UInt8] = []) -> [UInt8] {
        let segment = Build.tcp(sourcePort: client ? clientPort : 80, destinationPort: client ? 80 : clientPort,
                                sequence: sequence, flags: flags, payload: payload)
        return Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
            source: client ? "10.0.0.1" : "10.0.0.2", destination: client ? "10.0.0.2" : "10.0.0.1",
            proto: 6, payload: segment))
    }

    /// Sends one segment; `time` in seconds.
    @discardableResult
    mutating func send(client: Bool = true, _ sequence: UInt32, _ payload: [UInt8] = [], flags: TCPFlags = .ack,
                       at time: UInt64 = 0) -> TCPStreamID? {
        feed(StreamHarness.frame(client: client, clientPort: clientPort, sequence: sequence, flags: flags,
                                 payload: payload), at: time * StreamHarness.second)
    }

    @discardableResult
    mutating func feed(_ frame: [UInt8], at nanoseconds: UInt64) -> TCPStreamID? {
        frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            sink.packetBuffer = bytes
            defer { sink.packetBuffer = nil }
            return reassembler.process(bytes, packet: packet, timestamp: nanoseconds, sink: &sink)
        }
    }

    /// SYN, SYN-ACK, ACK with client ISN `client` and server ISN `server`.
    mutating func handshake(client: UInt32 = 1000, server: UInt32 = 5000) {
        send(client, flags: .syn)
        send(client: false, server, flags: [.syn, .ack])
        send(client &+ 1)
    }
}

extension TCPStreamReassembler.Configuration {
    /// The defaults with test-sized tables: the real defaults preallocate
    /// for 65 536 connections, slow to build in a debug test run.
    static func small(maxConnections: Int = 8, maxBufferedBytesPerDirection: Int = 256 << 10,
                      maxBufferedSegmentsPerDirection: Int = 128, maxBufferedBytes: Int = 64 << 20,
                      maxBufferedSegments: Int = 1024, reorderTimeout: UInt64 = 3_000_000_000,
                      idleTimeout: UInt64 = 300_000_000_000, closedLinger: UInt64 = 2_000_000_000) -> Self {
        Self(maxConnections: maxConnections, maxBufferedBytesPerDirection: maxBufferedBytesPerDirection,
             maxBufferedSegmentsPerDirection: maxBufferedSegmentsPerDirection, maxBufferedBytes: maxBufferedBytes,
             maxBufferedSegments: maxBufferedSegments, reorderTimeout: reorderTimeout, idleTimeout: idleTimeout,
             closedLinger: closedLinger)
    }
}

/// `count` bytes of a recognisable pattern starting at stream offset `from`.
func pattern(_ from: Int, _ count: Int) -> [UInt8] {
    (from..<(from + count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
}
