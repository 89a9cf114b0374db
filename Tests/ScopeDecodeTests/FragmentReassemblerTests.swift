import Testing
@testable import ScopeDecode

@Suite("Fragment reassembly")
struct FragmentReassemblerTests {
    static let second: UInt64 = 1_000_000_000

    /// A UDP datagram of `size` payload bytes with a recognisable pattern.
    static func udpPayload(_ size: Int) -> [UInt8] {
        Build.udp(sourcePort: 5000, destinationPort: 6000, payload: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    }

    /// IPv4 fragments of `transport` in `chunk`-byte pieces (multiple of 8).
    static func ipv4Fragments(_ transport: [UInt8], chunk: Int, identification: UInt16 = 99) -> [[UInt8]] {
        stride(from: 0, to: transport.count, by: chunk).map { start in
            let end = min(start + chunk, transport.count)
            let field = UInt16(start / 8) | (end < transport.count ? 0x2000 : 0)
            return Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
                proto: 17, payload: Array(transport[start..<end]), identification: identification, fragmentField: field))
        }
    }

    static func ipv6Fragments(_ transport: [UInt8], chunk: Int) -> [[UInt8]] {
        stride(from: 0, to: transport.count, by: chunk).map { start in
            let end = min(start + chunk, transport.count)
            let payload = Build.extensionHeader(next: 44)  // unfragmentable destination options
                + Build.fragmentHeader(next: 17, offset: start, more: end < transport.count, identification: 0xF00D)
                + Array(transport[start..<end])
            return Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 60, payload: payload))
        }
    }

    /// Feeds frames in the given order; returns what came out.
    static func feed(_ frames: [[UInt8]], into reassembler: inout FragmentReassembler, at time: UInt64 = 0) -> [[UInt8]] {
        var decoder = PacketDecoder()
        var packet = DecodedPacket()
        var out: [[UInt8]] = []
        for frame in frames {
            frame.withUnsafeBytes { bytes in
                _ = decoder.decode(bytes, into: &packet)
                if let datagram = reassembler.add(bytes, packet: packet, timestamp: time) { out.append(datagram) }
            }
        }
        return out
    }

    @Test(arguments: [false, true])
    func ipv4InAndOutOfOrder(reverse: Bool) {
        let transport = FragmentReassemblerTests.udpPayload(3000)
        var frames = FragmentReassemblerTests.ipv4Fragments(transport, chunk: 1208)
        #expect(frames.count == 3)
        if reverse { frames.reverse() }
        var reassembler = FragmentReassembler()
        let out = FragmentReassemblerTests.feed(frames, into: &reassembler)
        #expect(out.count == 1)
        let (packet, error, _) = decode(out[0], linkType: .rawIP)
        #expect(error == nil)
        #expect(packet.ipv4ChecksumValid)
        #expect(packet.fragment.isFragment == false)
        #expect(packet.transport == .udp && packet.destinationPort == 6000)
        #expect(Array(out[0][20...]) == transport)
        #expect(reassembler.counters.reassembled == 1 && reassembler.counters.fragments == 3)
        #expect(reassembler.datagramsInFlight == 0 && reassembler.bytesInUse == 0)
    }

    /// Through the pipeline: three fragment frames are three packets, not
    /// four; the reassembled datagram is inspected once more but not counted.
    @Test func pipelineCountsFramesOnce() {
        let frames = FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(3000), chunk: 1208)
        var pipeline = PacketPipeline()
        var inspected = 0, whole = 0
        for frame in frames {
            frame.withUnsafeBytes { bytes in
                pipeline.process(bytes, linkType: .ethernet, timestamp: 1, inspect: { packet, _, _ in
                    inspected += 1
                    if !packet.fragment.isFragment && packet.transport == .udp { whole += 1 }
                }, emit: { _ in })
            }
        }
        #expect(inspected == 4 && whole == 1)
        #expect(pipeline.counters.packets == 3)
        #expect(pipeline.fragments.counters.reassembled == 1)
    }

    @Test func ipv6OutOfOrder() {
        let transport = FragmentReassemblerTests.udpPayload(2000)
        let frames = FragmentReassemblerTests.ipv6Fragments(transport, chunk: 1000)
        var reassembler = FragmentReassembler()
        let out = FragmentReassemblerTests.feed([frames[2], frames[0], frames[1]], into: &reassembler)
        #expect(out.count == 1)
        let (packet, error, _) = decode(out[0], linkType: .rawIP)
        #expect(error == nil)
        #expect(packet.transport == .udp && packet.sourcePort == 5000)
        #expect(packet.payloadLength == 2000)
        #expect(out[0].count == 40 + 8 + transport.count)  // fragment header removed
        #expect(out[0][40] == 17)  // destination options now points at UDP
        #expect(Array(out[0][48...]) == transport)
    }

    @Test func overlapIsFirstWins() {
        let transport = FragmentReassemblerTests.udpPayload(24)  // 32 bytes
        let frames = FragmentReassemblerTests.ipv4Fragments(transport, chunk: 16)
        // A forged copy of the second fragment with different bytes, seen first.
        let forged = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
            proto: 17, payload: [UInt8](repeating: 0xEE, count: 16), identification: 99, fragmentField: 2))
        var reassembler = FragmentReassembler()
        let out = FragmentReassemblerTests.feed([forged, frames[1], frames[0]], into: &reassembler)
        #expect(out.count == 1)
        #expect(Array(out[0][36..<52]) == [UInt8](repeating: 0xEE, count: 16))
        #expect(reassembler.counters.overlaps == 1)
    }

    @Test func incompleteDatagramTimesOut() {
        let frames = FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(100), chunk: 64)
        var reassembler = FragmentReassembler(configuration: .init(timeoutNanoseconds: 30 * FragmentReassemblerTests.second))
        #expect(FragmentReassemblerTests.feed([frames[0]], into: &reassembler, at: 0).isEmpty)
        #expect(reassembler.datagramsInFlight == 1 && reassembler.bytesInUse > 0)
        reassembler.expire(now: 29 * FragmentReassemblerTests.second)
        #expect(reassembler.datagramsInFlight == 1)
        reassembler.expire(now: 30 * FragmentReassemblerTests.second)
        #expect(reassembler.datagramsInFlight == 0 && reassembler.bytesInUse == 0)
        #expect(reassembler.counters.timedOut == 1)
        // The late last fragment starts a new datagram instead of completing the old one.
        #expect(FragmentReassemblerTests.feed([frames[1]], into: &reassembler, at: 31 * FragmentReassemblerTests.second).isEmpty)
        #expect(reassembler.counters.reassembled == 0)
    }

    @Test func datagramCountBoundEvictsOldest() {
        var reassembler = FragmentReassembler(configuration: .init(maxDatagrams: 4))
        for id in 0..<6 {
            let first = FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(100), chunk: 64, identification: UInt16(id))[0]
            _ = FragmentReassemblerTests.feed([first], into: &reassembler, at: UInt64(id))
        }
        #expect(reassembler.datagramsInFlight == 4)
        #expect(reassembler.counters.evicted == 2)
        // Datagram 0 was evicted: its last fragment alone cannot complete it.
        let last0 = FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(100), chunk: 64, identification: 0)[1]
        #expect(FragmentReassemblerTests.feed([last0], into: &reassembler, at: 10).isEmpty)
        // Datagram 5 is still there.
        let last5 = FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(100), chunk: 64, identification: 5)[1]
        #expect(FragmentReassemblerTests.feed([last5], into: &reassembler, at: 11).count == 1)
    }

    @Test func byteBoundIsNeverExceeded() {
        let limit = 64 * 1024
        var reassembler = FragmentReassembler(configuration: .init(maxBytes: limit, maxDatagrams: 1000))
        var peak = 0
        for id in 0..<200 {
            // First halves of 1 KiB datagrams that never complete.
            let first = FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(1016), chunk: 512, identification: UInt16(id))[0]
            _ = FragmentReassemblerTests.feed([first], into: &reassembler, at: UInt64(id))
            peak = max(peak, reassembler.bytesInUse)
        }
        #expect(peak <= limit)
        #expect(reassembler.counters.evicted > 0)
        #expect(reassembler.datagramsInFlight < 200)
    }

    @Test func oversizeDatagramIsDropped() {
        // Offset 65528 + 16 bytes runs past the 65 535-byte limit.
        let frame = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
            proto: 17, payload: [UInt8](repeating: 1, count: 16), identification: 1, fragmentField: UInt16(65528 / 8)))
        var reassembler = FragmentReassembler()
        #expect(FragmentReassemblerTests.feed([frame], into: &reassembler).isEmpty)
        #expect(reassembler.counters.oversize == 1)
        #expect(reassembler.datagramsInFlight == 0)
    }

    @Test func conflictingLastFragmentIsInvalid() {
        let frames = FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(100), chunk: 64)
        let shorterEnd = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
            proto: 17, payload: [UInt8](repeating: 0, count: 8), identification: 99, fragmentField: 9))
        var reassembler = FragmentReassembler()
        #expect(FragmentReassemblerTests.feed([frames[1], shorterEnd], into: &reassembler).isEmpty)
        #expect(reassembler.counters.invalid == 1)
        #expect(reassembler.datagramsInFlight == 0)
    }

    @Test func nonFragmentsAreIgnored() {
        var reassembler = FragmentReassembler()
        #expect(FragmentReassemblerTests.feed([Build.tcpSYN()], into: &reassembler).isEmpty)
        #expect(reassembler.counters.fragments == 0)
    }
}
