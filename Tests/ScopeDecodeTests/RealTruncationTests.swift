import Testing
@testable import ScopeDecode

/// Every real packet of the oracle captures cut at every byte offset. Two
/// ways: as a short snap length would (lengths untouched), and as a sender
/// whose lengths agree with the cut would (IP and UDP lengths rewritten),
/// which reaches each inner header's own checks. The decoder must report
/// the reason of the header the cut falls in, and never trap.
@Suite("Decoder: real packets cut at every offset")
struct RealTruncationTests {
    static var frames: [OracleFrame] {
        OracleCapture.all.flatMap { capture in capture.frames.keys.sorted().compactMap { capture.frames[$0] } }
    }

    @Test func spansTileTheHeaders() {
        for frame in Self.frames {
            let spans = HeaderSpans(frame.bytes, frame.packet)
            #expect(spans.isContiguous, "\(frame.label): \(spans.spans)")
        }
    }

    @Test func snapLengthCutsFailInTheOuterLayers() {
        var decoder = PacketDecoder()
        var packet = DecodedPacket()
        var seen = Set<DecodeError?>()
        for frame in Self.frames {
            let spans = HeaderSpans(frame.bytes, frame.packet)
            for cut in 0..<frame.bytes.count {
                let error = frame.bytes[..<cut].withUnsafeBytes { decoder.decode($0, into: &packet) }
                let expected = spans.reason(frameCutAt: cut)
                #expect(error == expected, "\(frame.label) cut at \(cut)")
                Self.expectInside(packet, cut, frame, cut)
                seen.insert(error)
            }
        }
        // No capture here has Ethernet padding (veth), so every cut fails somewhere.
        #expect(seen == [.truncatedEthernet, .truncatedVLAN, .truncatedIPv4, .truncatedIPv6, .unsupportedEtherType])
    }

    @Test func consistentCutsFailInTheHeaderTheyCut() {
        var decoder = PacketDecoder()
        var packet = DecodedPacket()
        var seen = Set<DecodeError?>()
        var cuts = 0
        for frame in Self.frames {
            let spans = HeaderSpans(frame.bytes, frame.packet)
            for cut in 0..<frame.bytes.count {
                let bytes = spans.datagram(cutAt: cut)
                let error = bytes.withUnsafeBytes { decoder.decode($0, into: &packet) }
                let expected = spans.reason(datagramCutAt: cut)
                #expect(error == expected, "\(frame.label) cut at \(cut)")
                Self.expectInside(packet, cut, frame, cut)
                // A cut in the innermost transport header leaves the IP layer decoded.
                let full = frame.packet
                if expected != nil, full.transport != .none, full.tunnelDepth == packet.tunnelDepth, cut >= full.transportOffset {
                    #expect(packet.source == frame.packet.source && packet.destination == frame.packet.destination,
                            "\(frame.label) cut at \(cut)")
                }
                seen.insert(error)
                cuts += 1
            }
        }
        let every: Set<DecodeError?> = [
            .truncatedEthernet, .truncatedVLAN, .unsupportedEtherType, .truncatedIPv4, .truncatedIPv6,
            .badExtensionHeader, .truncatedTCP, .badTCPDataOffset, .truncatedUDP, .truncatedICMP,
            .truncatedGRE, .truncatedVXLAN, nil,
        ]
        #expect(seen == every, "missing \(every.subtracting(seen))")
        #expect(decoder.counters.packets == UInt64(cuts))
    }

    /// Whatever was decoded lies inside the bytes the decoder was given.
    static func expectInside(_ packet: DecodedPacket, _ count: Int, _ frame: OracleFrame, _ cut: Int) {
        #expect(packet.payloadOffset >= 0 && packet.payloadLength >= 0 && packet.payloadOffset + packet.payloadLength <= count,
                "\(frame.label) cut at \(cut)")
        #expect(packet.networkEnd <= count && packet.capturedLength == count, "\(frame.label) cut at \(cut)")
    }
}
