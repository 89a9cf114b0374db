import Testing
@testable import ScopeDecode

/// `PacketPipeline` without flow accounting (`tracksFlows: false`, what
/// `read --proto` uses when it prints neither flows nor counters): the
/// packets inspected must be exactly those of the tracking pipeline.
@Suite struct PipelineFlowTrackingTests {
    struct Seen: Equatable {
        var transport: TransportLayer
        var sourcePort: UInt16, destinationPort: UInt16
        var payloadOffset: Int, payloadLength: Int
        var fragment: Bool
        var failure: DecodeError?
        var bytes: [UInt8]
    }

    static var frames: [[UInt8]] {
        let data = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        var frames: [[UInt8]] = [
            Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 6, payload: Build.tcp(flags: .syn))),
            Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
                proto: 6, payload: Build.tcp(sequence: 1001, flags: [.ack, .psh], payload: data))),
            Build.ethernet(etherType: 0x0800, payload: Build.ipv4(
                proto: 6, payload: Build.tcp(sequence: 1019, flags: [.fin, .ack]))),
            Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 17, payload: Build.udp(payload: [1, 2, 3]))),
            Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 17, payload: Build.udp(payload: [9]))),
            Build.ethernet(etherType: 0x0800, payload: [0x45, 0, 0]),  // truncated IPv4
        ]
        frames += FragmentReassemblerTests.ipv4Fragments(FragmentReassemblerTests.udpPayload(3000), chunk: 1208)
        return frames
    }

    static func run(tracking: Bool) -> (seen: [Seen], flowEvents: Int, pipeline: PacketPipeline) {
        var pipeline = PacketPipeline(configuration: .init(tracksFlows: tracking))
        var seen: [Seen] = []
        var flowEvents = 0
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { bytes in
                pipeline.process(bytes, linkType: .ethernet, timestamp: UInt64(index + 1) * 1_000_000_000, inspect: { packet, raw, failure in
                    seen.append(Seen(transport: packet.transport, sourcePort: packet.sourcePort,
                                     destinationPort: packet.destinationPort, payloadOffset: packet.payloadOffset,
                                     payloadLength: packet.payloadLength, fragment: packet.fragment.isFragment,
                                     failure: failure, bytes: Array(raw)))
                }, emit: { _ in flowEvents += 1 })
            }
        }
        pipeline.finish(emit: { _ in flowEvents += 1 })
        return (seen, flowEvents, pipeline)
    }

    @Test func untrackedInspectsTheSamePackets() {
        let tracked = Self.run(tracking: true)
        let untracked = Self.run(tracking: false)
        #expect(untracked.seen == tracked.seen)
        #expect(untracked.seen.count == Self.frames.count + 1)  // plus the reassembled datagram
        #expect(untracked.pipeline.counters == tracked.pipeline.counters)
        #expect(untracked.pipeline.fragments.counters.reassembled == 1)
        // Flows exist only when tracked.
        #expect(tracked.flowEvents > 0 && tracked.pipeline.flows.counters.created > 0)
        #expect(untracked.flowEvents == 0 && untracked.pipeline.flows.counters == FlowTable.Counters())
    }
}
