import Glibc
import Testing
@testable import ScopeDecode

/// Real traffic through decoder, fragment reassembly, flow table and stream
/// reassembler together: Scripts/data/demo.pcap (three HTTP/1.1 connections,
/// two TLS, two HTTP/2 in clear, one gRPC; DNS, ICMP, ARP) and
/// Tests/Fuzz/captures/extra.pcap (a lossy download with retransmissions,
/// IPv4/IPv6 fragments, IPv6, VXLAN).
@Suite("TCP stream reassembly: real captures")
struct RealCaptureStreamTests {
    /// Payload bytes per connection as tshark counts them, (client, server),
    /// in connection order: HTTP/1.1 ×3, TLS 1.3, TLS 1.2, HTTP/2 ×2, gRPC.
    static let expectedBytes = [(249, 706), (84, 520), (159, 555), (775, 1721), (460, 1057),
                                (123, 213), (120, 258), (525, 436)]
    /// How each connection's client and server streams begin: HTTP/1.1
    /// request and status lines, TLS handshake records (ClientHello in a 1.0
    /// record, the server's in 1.2), the HTTP/2 preface answered by a
    /// SETTINGS frame (type 4 after the 3-byte length).
    static let expectedStarts: [(client: [UInt8], server: [UInt8?])] = {
        let http1 = { (method: String) in (Array(method.utf8), Array("HTTP/1.".utf8).map { Optional($0) }) }
        let tls: ([UInt8], [UInt8?]) = ([0x16, 0x03, 0x01], [0x16, 0x03, 0x03])
        let http2: ([UInt8], [UInt8?]) = (Array("PRI * HTTP/2.0\r\n".utf8), [nil, nil, nil, 0x04])
        return [http1("GET /"), http1("GET /"), http1("POST /"), tls, tls, http2, http2, http2]
    }()

    @Test func httpConnectionsReassembleLikeTshark() throws {
        let frames = try #require(readCapture("Scripts/data/demo.pcap"))
        #expect(frames.count == 162)
        let sink = RealCaptureStreamTests.run(frames)
        RealCaptureStreamTests.check(sink)
        #expect(sink.zeroCopyDeliveries > 0 && sink.copiedDeliveries == 0)
    }

    /// The same capture with packets shuffled inside consecutive groups of
    /// three (as a capture from several queues could be): identical streams.
    @Test func locallyShuffledCaptureGivesTheSameStreams() throws {
        let frames = try #require(readCapture("Scripts/data/demo.pcap"))
        var reordered = 0
        for seed in 1...40 {
            var generator = SplitMix(seed: UInt64(seed))
            var shuffled = frames
            for start in stride(from: 0, to: shuffled.count, by: 3) {
                shuffled[start..<min(start + 3, shuffled.count)].shuffle(using: &generator)
            }
            let sink = RealCaptureStreamTests.run(shuffled)
            RealCaptureStreamTests.check(sink, seed: seed)
            reordered += sink.copiedDeliveries  // data that waited in a reorder buffer
        }
        #expect(reordered > 0)
    }

    /// Packets lost after the capture point's qdisc: holes in the capture,
    /// filled by the sender's retransmissions a few packets later.
    @Test func lossyDownloadReassemblesCompletely() throws {
        let frames = try #require(readCapture("Tests/Fuzz/captures/extra.pcap"))
        var reassembler = TCPStreamReassembler(configuration: .small())
        let sink = RealCaptureStreamTests.run(frames, reassembler: &reassembler)
        // capture-extra.sh serves "line %05d of the fuzz seed download\n" for 0..<1700.
        let body = (0..<1700).flatMap { (line: Int) -> [UInt8] in
            let number = String(line)
            return Array("line \(String(repeating: "0", count: 5 - number.count))\(number) of the fuzz seed download\n".utf8)
        }
        let downloads = sink.streams.values.filter { $0.count > body.count }
        #expect(downloads.count == 2 && downloads.allSatisfy { $0.suffix(body.count).elementsEqual(body) })
        #expect(sink.gaps.isEmpty)
        let counters = reassembler.counters
        #expect(counters.outOfOrderSegments > 0 && counters.reorderedThenFilled == counters.outOfOrderSegments)
        // v6 and VXLAN-inner HTTP connections are there too.
        #expect(sink.streams.values.filter { $0.starts(with: Array("GET /small.txt".utf8)) }.count == 2)
    }

    /// Ping with 3000-byte payloads over IPv4 and IPv6: each echo request
    /// and reply comes back whole from its fragments.
    @Test func pingFragmentsReassemble() throws {
        let frames = try #require(readCapture("Tests/Fuzz/captures/extra.pcap"))
        var decoder = PacketDecoder()
        var fragments = FragmentReassembler()
        var packet = DecodedPacket()
        var echoes: [UInt8] = []
        for frame in frames {
            frame.bytes.withUnsafeBytes { bytes in
                decoder.decode(bytes, into: &packet)
                guard packet.fragment.isFragment,
                      let datagram = fragments.add(bytes, packet: packet, timestamp: frame.timestamp) else { return }
                let whole = decode(datagram, linkType: .rawIP)
                #expect(whole.error == nil && whole.packet.payloadLength == 3000)
                echoes.append(whole.packet.icmp.type)
            }
        }
        #expect(echoes.sorted() == [0, 0, 8, 8, 128, 128, 129, 129])
        #expect(fragments.datagramsInFlight == 0 && fragments.counters.invalid == 0)
    }

    static func run(_ frames: [(timestamp: UInt64, bytes: [UInt8])]) -> RecordingSink {
        var reassembler = TCPStreamReassembler(configuration: .small())
        return run(frames, reassembler: &reassembler)
    }

    static func run(_ frames: [(timestamp: UInt64, bytes: [UInt8])],
                    reassembler: inout TCPStreamReassembler) -> RecordingSink {
        var decoder = PacketDecoder()
        var table = FlowTable(configuration: .init(maxFlows: 64, hashSeed: 7))
        var packet = DecodedPacket()
        var sink = RecordingSink()
        for frame in frames {
            frame.bytes.withUnsafeBytes { bytes in
                decoder.decode(bytes, into: &packet)
                // The flow table and the reassembler agree on key and direction.
                let direction = table.update(packet, timestamp: frame.timestamp)
                guard packet.transport == .tcp, let (key, keyDirection) = FlowKey.make(for: packet) else { return }
                #expect(direction == keyDirection)
                sink.packetBuffer = bytes
                reassembler.process(bytes, packet: packet, key: key, direction: keyDirection,
                                    timestamp: frame.timestamp, sink: &sink)
            }
        }
        reassembler.flush(now: frames.last?.timestamp ?? 0, sink: &sink)
        return sink
    }

    static func check(_ sink: RecordingSink, seed: Int = 0) {
        #expect(sink.gaps.isEmpty, "seed \(seed)")
        let closes = sink.closes
        #expect(closes.count == expectedBytes.count && closes.allSatisfy {
            if case .closed(_, .fin) = $0 { return true } else { return false }
        }, "seed \(seed): \(closes)")
        // Slots are handed out 0, 1, 2... in connection order (one connection
        // at a time in this capture); the client is 10.199.1.1, the low side.
        for (slot, expected) in expectedBytes.enumerated() {
            let request = sink.bytes(.fromLow, slot: slot)
            let response = sink.bytes(.fromHigh, slot: slot)
            #expect(request.count == expected.0 && response.count == expected.1, "seed \(seed) slot \(slot)")
            #expect(request.starts(with: expectedStarts[slot].client), "seed \(seed) slot \(slot)")
            #expect(response.starts(with: expectedStarts[slot].server) { $1 == nil || $0 == $1 }, "seed \(seed) slot \(slot)")
        }
    }
}

/// Frames of a classic pcap file (little-endian, µs or ns) at `relativePath`
/// from the repository root.
func readCapture(_ relativePath: String) -> [(timestamp: UInt64, bytes: [UInt8])]? {
    // #filePath may run through the scratch package's symlink: resolve it.
    guard let resolved = realpath(#filePath, nil) else { return nil }
    defer { free(resolved) }
    var path = String(cString: resolved)
    for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
    guard let file = fopen(path + "/" + relativePath, "rb") else { return nil }
    defer { fclose(file) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        data += chunk[0..<count]
    }
    func u32(_ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(data[offset + $1]) << (8 * UInt32($1)) }
    }
    guard data.count >= 24, u32(0) == 0xA1B2_C3D4 || u32(0) == 0xA1B2_3C4D else { return nil }
    let subsecondScale: UInt64 = u32(0) == 0xA1B2_C3D4 ? 1000 : 1
    var frames: [(timestamp: UInt64, bytes: [UInt8])] = []
    var offset = 24
    while offset + 16 <= data.count {
        let length = Int(u32(offset + 8))
        guard offset + 16 + length <= data.count else { return nil }
        let timestamp = UInt64(u32(offset)) * 1_000_000_000 + UInt64(u32(offset + 4)) * subsecondScale
        frames.append((timestamp, Array(data[(offset + 16)..<(offset + 16 + length)])))
        offset += 16 + length
    }
    return frames
}
