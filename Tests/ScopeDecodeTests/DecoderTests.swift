import Testing
@testable import ScopeDecode

@Suite("Packet decoder: layers")
struct DecoderTests {
    @Test func ethernetIPv4TCPWithOptions() {
        let bytes = Build.tcpSYN()
        let (packet, error, counters) = decode(bytes)
        #expect(error == nil)
        #expect(packet.destinationMAC == 0x0200_0000_0002)
        #expect(packet.sourceMAC == 0x0200_0000_0001)
        #expect(packet.etherType == 0x0800)
        #expect(packet.network == .ipv4)
        #expect(packet.networkOffset == 14)
        #expect(packet.networkEnd == bytes.count)
        #expect(packet.source == ip("192.0.2.1"))
        #expect(packet.source.ipv4 == 0xC000_0201)
        #expect(packet.destination == ip("198.51.100.2"))
        #expect(packet.hopLimit == 64)
        #expect(packet.ipv4ChecksumValid)
        #expect(packet.transport == .tcp)
        #expect(packet.transportOffset == 34)
        #expect(packet.sourcePort == 40000)
        #expect(packet.destinationPort == 80)
        #expect(packet.tcp.sequence == 1000)
        #expect(packet.tcp.flags == .syn)
        #expect(packet.tcp.window == 65535)
        #expect(packet.tcp.headerLength == 44)
        var expected = TCPOptions()
        expected.maximumSegmentSize = 1460
        expected.windowScale = 7
        expected.sackPermitted = true
        expected.timestampValue = 0x0102_0304
        expected.timestampEchoReply = 0
        #expect(packet.tcp.options == expected)
        #expect(packet.payloadOffset == 78)
        #expect(packet.payloadLength == 0)
        #expect(counters.decoded == 1 && counters.tcp == 1 && counters.ipv4 == 1 && counters.malformed == 0)
    }

    @Test func tcpSACKBlocksAndPayload() {
        let sack: [UInt8] = [1, 1, 5, 18] + [UInt8](repeating: 0x11, count: 16)  // 2 blocks
        let segment = Build.tcp(flags: [.ack, .psh], options: sack, payload: Array("hello".utf8))
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 6, payload: segment)))
        #expect(error == nil)
        #expect(packet.tcp.options.sackBlockCount == 2)
        #expect(packet.tcp.options.malformed == false)
        #expect(packet.tcp.flags == [.ack, .psh])
        #expect(packet.payloadLength == 5)
        #expect(packet.payloadOffset == 14 + 20 + 40)
    }

    @Test func malformedTCPOptionIsCountedNotFatal() {
        let options: [UInt8] = [2, 4, 0x05, 0xB4, 8, 40, 0, 0]  // timestamp length runs past the header
        let segment = Build.tcp(options: options)
        let (packet, error, counters) = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 6, payload: segment)))
        #expect(error == nil)
        #expect(packet.tcp.options.maximumSegmentSize == 1460)
        #expect(packet.tcp.options.malformed)
        #expect(counters.tcpOptionErrors == 1)
    }

    @Test func ipv4OptionsAndEthernetPaddingExcluded() {
        let options: [UInt8] = [0x94, 0x04, 0x00, 0x00]  // router alert
        let datagram = Build.ipv4(proto: 17, payload: Build.udp(payload: [1, 2, 3]), options: options)
        let frame = Build.ethernet(etherType: 0x0800, payload: datagram) + [UInt8](repeating: 0, count: 20)
        let (packet, error, _) = decode(frame)
        #expect(error == nil)
        #expect(packet.transportOffset == 14 + 24)
        #expect(packet.networkEnd == 14 + datagram.count)
        #expect(packet.ipLength == datagram.count)
        #expect(packet.transport == .udp)
        #expect(packet.sourcePort == 53000 && packet.destinationPort == 53)
        #expect(packet.payloadOffset == 14 + 24 + 8)
        #expect(packet.payloadLength == 3)
    }

    @Test func ipv4BadChecksumIsCountedNotDropped() {
        let datagram = Build.ipv4(proto: 17, payload: Build.udp(payload: [9]), corruptChecksum: true)
        let (packet, error, counters) = decode(Build.ethernet(etherType: 0x0800, payload: datagram))
        #expect(error == nil)
        #expect(packet.ipv4ChecksumValid == false)
        #expect(packet.transport == .udp)
        #expect(counters.ipv4ChecksumErrors == 1)
        #expect(counters.decoded == 1)
    }

    @Test func singleVLAN() {
        let frame = Build.ethernet(vlans: [(0x8100, 42)], etherType: 0x0800,
                                   payload: Build.ipv4(proto: 17, payload: Build.udp(payload: [])))
        let (packet, error, counters) = decode(frame)
        #expect(error == nil)
        #expect(packet.vlanCount == 1)
        #expect(packet.vlanIDs.outer == 42 && packet.vlanIDs.inner == 0)
        #expect(packet.networkOffset == 18)
        #expect(counters.vlanTagged == 1)
    }

    @Test(arguments: [UInt16(0x88A8), 0x9100, 0x8100])
    func qinq(outerTPID: UInt16) {
        let frame = Build.ethernet(vlans: [(outerTPID, 100), (0x8100, 4094)], etherType: 0x86DD,
                                   payload: Build.ipv6(nextHeader: 59, payload: []))
        let (packet, error, _) = decode(frame)
        #expect(error == nil)
        #expect(packet.vlanCount == 2)
        #expect(packet.vlanIDs.outer == 100)
        #expect(packet.vlanIDs.inner == 4094)
        #expect(packet.network == .ipv6)
        #expect(packet.networkOffset == 22)
    }

    @Test func threeVLANTagsKeepFirstTwo() {
        let frame = Build.ethernet(vlans: [(0x88A8, 1), (0x8100, 2), (0x8100, 3)], etherType: 0x0800,
                                   payload: Build.ipv4(proto: 17, payload: Build.udp(payload: [])))
        let (packet, error, _) = decode(frame)
        #expect(error == nil)
        #expect(packet.vlanCount == 3)
        #expect(packet.vlanIDs == (1, 2))
        #expect(packet.networkOffset == 26)
    }

    @Test func ipv6ExtensionHeaderChain() {
        var chain = Build.extensionHeader(next: 43)  // hop-by-hop -> routing
        chain += Build.extensionHeader(next: 60, units: 3)  // routing (24 bytes) -> destination options
        chain += Build.extensionHeader(next: 51)  // destination options -> AH
        chain += Build.authenticationHeader(next: 6)  // AH -> TCP
        let segment = Build.tcp(flags: [.ack], payload: [0xAB])
        let frame = Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 0, payload: chain + segment))
        let (packet, error, counters) = decode(frame)
        #expect(error == nil)
        #expect(packet.network == .ipv6)
        #expect(packet.source == ip("2001:db8::1"))
        #expect(packet.source.high == 0x2001_0DB8_0000_0000 && packet.source.low == 1)
        #expect(packet.flowLabel == 0x123)
        #expect(packet.ipProtocol == 6)
        #expect(packet.transportOffset == 14 + 40 + 8 + 24 + 8 + 24)
        #expect(packet.transport == .tcp)
        #expect(packet.payloadLength == 1)
        #expect(counters.ipv6 == 1)
    }

    @Test(arguments: [UInt8(50), 59])
    func ipv6StopsAtESPAndNoNextHeader(next: UInt8) {
        let chain = Build.extensionHeader(next: next) + [UInt8](repeating: 0xEE, count: 16)
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 60, payload: chain)))
        #expect(error == nil)
        #expect(packet.ipProtocol == next)
        #expect(packet.transport == .other)
        #expect(packet.payloadOffset == 14 + 48)
        #expect(packet.payloadLength == 16)
    }

    @Test func ipv6AtomicFragmentIsDecodedWhole() {
        let payload = Build.fragmentHeader(next: 17, offset: 0, more: false, identification: 7) + Build.udp(payload: [1])
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 44, payload: payload)))
        #expect(error == nil)
        #expect(packet.fragment.isFragment == false)
        #expect(packet.transport == .udp)
    }

    @Test func ipv6FragmentInfo() {
        let payload = Build.extensionHeader(next: 44) + Build.fragmentHeader(next: 17, offset: 1448, more: true, identification: 0xCAFE)
            + [UInt8](repeating: 0x55, count: 64)
        let (packet, error, counters) = decode(Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 60, payload: payload)))
        #expect(error == nil)
        #expect(packet.fragment.isFragment)
        #expect(packet.fragment.identification == 0xCAFE)
        #expect(packet.fragment.offset == 1448)
        #expect(packet.fragment.moreFragments)
        #expect(packet.fragment.nextHeader == 17)
        #expect(packet.fragment.fragmentHeaderOffset == 14 + 48)
        #expect(packet.fragment.nextHeaderFieldOffset == 14 + 40)
        #expect(packet.fragment.dataOffset == 14 + 56)
        #expect(packet.fragment.dataLength == 64)
        #expect(packet.transport == .none)
        #expect(counters.fragments == 1)
    }

    @Test func ipv4FragmentSkipsTransport() {
        let datagram = Build.ipv4(proto: 17, payload: [UInt8](repeating: 1, count: 16), identification: 77, fragmentField: 0x2000 | 3)
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x0800, payload: datagram))
        #expect(error == nil)
        #expect(packet.fragment.isFragment)
        #expect(packet.fragment.offset == 24)
        #expect(packet.fragment.identification == 77)
        #expect(packet.fragment.moreFragments)
        #expect(packet.fragment.dataLength == 16)
        #expect(packet.transport == .none)
        #expect(packet.ipProtocol == 17)
    }

    @Test func icmpv4Echo() {
        let message = Build.icmp(type: 8, identifier: 0x4242, sequence: 7, payload: [1, 2, 3, 4])
        let (packet, error, counters) = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 1, payload: message)))
        #expect(error == nil)
        #expect(packet.transport == .icmpv4)
        #expect(packet.icmp.type == 8 && packet.icmp.code == 0)
        #expect(packet.icmp.echoIdentifier == 0x4242)
        #expect(packet.icmp.echoSequence == 7)
        #expect(packet.payloadLength == 4)
        #expect(counters.icmp == 1)
    }

    @Test func icmpv4UnreachableHasNoEchoFields() {
        let message = Build.icmp(type: 3, code: 3)
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 1, payload: message)))
        #expect(error == nil)
        #expect(packet.icmp.type == 3 && packet.icmp.code == 3)
        #expect(packet.icmp.echoIdentifier == nil)
    }

    @Test func icmpv6EchoReply() {
        let message = Build.icmp(type: 129, identifier: 9, sequence: 300)
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 58, payload: message)))
        #expect(error == nil)
        #expect(packet.transport == .icmpv6)
        #expect(packet.icmp.type == 129)
        #expect(packet.icmp.echoIdentifier == 9 && packet.icmp.echoSequence == 300)
    }

    @Test func unknownIPProtocolIsOther() {
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 132, payload: [0, 1, 2, 3])))
        #expect(error == nil)
        #expect(packet.transport == .other)
        #expect(packet.ipProtocol == 132)
        #expect(packet.payloadLength == 4)
    }

    @Test func arpIsCountedAsOther() {
        let (packet, error, counters) = decode(Build.ethernet(etherType: 0x0806, payload: [UInt8](repeating: 0, count: 28)))
        #expect(error == .unsupportedEtherType)
        #expect(error?.isMalformation == false)
        #expect(packet.network == .other)
        #expect(packet.etherType == 0x0806)
        #expect(counters.other == 1 && counters.malformed == 0)
    }

    @Test func rawIPLinkType() {
        let datagram = Build.ipv6(nextHeader: 17, payload: Build.udp(payload: [7]))
        let (packet, error, _) = decode(datagram, linkType: .rawIP)
        #expect(error == nil)
        #expect(packet.networkOffset == 0)
        #expect(packet.transport == .udp)
    }

    @Test func decodedPacketIsTrivialValue() {
        // No references inside: copying a packet or a flow record cannot retain/release.
        #expect(_isPOD(DecodedPacket.self))
        #expect(_isPOD(FlowRecord.self))
        #expect(_isPOD(FlowKey.self))
        #expect(_isPOD(FlowEvent.self))
        #expect(DecodeError.allCases.count <= DecodeCounters.slotCount)
    }
}
