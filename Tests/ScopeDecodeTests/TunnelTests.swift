import Testing
@testable import ScopeDecode

@Suite("Packet decoder: tunnels")
struct TunnelTests {
    static func innerTCP() -> [UInt8] {
        Build.ipv4(source: "10.0.0.1", destination: "10.0.0.2", proto: 6,
                   payload: Build.tcp(sourcePort: 1111, destinationPort: 2222, flags: [.ack], payload: [1, 2, 3]))
    }

    static func vxlanFrame() -> [UInt8] {
        let inner = Build.ethernet(vlans: [(0x8100, 77)], etherType: 0x0800, payload: innerTCP())
        let outerUDP = Build.udp(sourcePort: 49152, destinationPort: 4789, payload: Build.vxlan(vni: 0xABCDE, payload: inner))
        return Build.ethernet(vlans: [(0x8100, 10)], etherType: 0x0800,
                              payload: Build.ipv4(source: "172.16.0.1", destination: "172.16.0.2", proto: 17, payload: outerUDP))
    }

    static func greEthernetFrame() -> [UInt8] {
        let inner = Build.ethernet(etherType: 0x0800, payload: innerTCP())
        let gre = Build.gre(protocolType: 0x6558, key: 0xDEAD_BEEF, sequence: 42, checksum: true, payload: inner)
        return Build.ethernet(etherType: 0x0800, payload: Build.ipv4(source: "203.0.113.1", destination: "203.0.113.2", proto: 47, payload: gre))
    }

    @Test func vxlanDecapsulatesInnerEthernet() {
        let bytes = TunnelTests.vxlanFrame()
        let (packet, error, counters) = decode(bytes)
        #expect(error == nil)
        #expect(packet.tunnelDepth == 1)
        let tunnel = packet.tunnel(at: 0)
        #expect(tunnel?.kind == .vxlan)
        #expect(tunnel?.vni == 0xABCDE)
        #expect(tunnel?.outerSource == ip("172.16.0.1"))
        #expect(tunnel?.outerDestination == ip("172.16.0.2"))
        #expect(tunnel?.outerNetworkOffset == 18)
        #expect(tunnel?.headerOffset == 18 + 20 + 8)
        #expect(packet.tunnel(at: 1) == nil)
        // Inner layers replace the outer ones; the VLAN id stays the wire's.
        #expect(packet.vlanIDs.outer == 10)
        #expect(packet.ethernetOffset == 18 + 20 + 8 + 8)
        #expect(packet.source == ip("10.0.0.1") && packet.destination == ip("10.0.0.2"))
        #expect(packet.networkOffset == packet.ethernetOffset + 18)
        #expect(packet.transport == .tcp)
        #expect(packet.sourcePort == 1111 && packet.destinationPort == 2222)
        #expect(packet.payloadLength == 3)
        #expect(packet.payloadOffset + 3 == bytes.count)
        #expect(counters.tunnelsDecapsulated == 1 && counters.udp == 1 && counters.tcp == 1 && counters.ipv4 == 2)
    }

    @Test func greTransparentEthernetWithKeySequenceChecksum() {
        let (packet, error, _) = decode(TunnelTests.greEthernetFrame())
        #expect(error == nil)
        let tunnel = packet.tunnel(at: 0)
        #expect(tunnel?.kind == .gre)
        #expect(tunnel?.protocolType == 0x6558)
        #expect(tunnel?.greKey == 0xDEAD_BEEF)
        #expect(tunnel?.greSequence == 42)
        #expect(tunnel?.greChecksumPresent == true)
        #expect(tunnel?.outerSource == ip("203.0.113.1"))
        #expect(packet.ethernetOffset == 14 + 20 + 16)
        #expect(packet.transport == .tcp && packet.destinationPort == 2222)
    }

    @Test func greCarryingIPv4AndIPv6() {
        let v4 = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 47, payload: Build.gre(protocolType: 0x0800, payload: TunnelTests.innerTCP())))
        let (packet4, error4, _) = decode(v4)
        #expect(error4 == nil)
        #expect(packet4.networkOffset == 14 + 20 + 4)
        #expect(packet4.source == ip("10.0.0.1"))
        #expect(packet4.tunnel(at: 0)?.greKey == nil)

        let inner6 = Build.ipv6(source: "fd00::1", destination: "fd00::2", nextHeader: 17, payload: Build.udp(payload: [5]))
        let v6 = Build.ethernet(etherType: 0x86DD, payload: Build.ipv6(nextHeader: 47, payload: Build.gre(protocolType: 0x86DD, key: 5, payload: inner6)))
        let (packet6, error6, _) = decode(v6)
        #expect(error6 == nil)
        #expect(packet6.source == ip("fd00::1"))
        #expect(packet6.tunnel(at: 0)?.outerSource == ip("2001:db8::1"))
        #expect(packet6.tunnel(at: 0)?.greKey == 5)
        #expect(packet6.transport == .udp)
    }

    @Test func greWithUnknownPayloadOrVersion1StaysGRE() {
        let mpls = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 47, payload: Build.gre(protocolType: 0x8847, payload: [0, 0, 0, 0])))
        let (packet, error, _) = decode(mpls)
        #expect(error == nil)
        #expect(packet.transport == .gre && packet.tunnelDepth == 0)
        #expect(packet.payloadOffset == 14 + 20 + 4)

        let pptp = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 47, payload: Build.gre(protocolType: 0x880B, key: 0x0010_0001, version: 1, payload: [0xFF, 0x03])))
        let (pptpPacket, pptpError, _) = decode(pptp)
        #expect(pptpError == nil)
        #expect(pptpPacket.transport == .gre && pptpPacket.payloadLength == 2)
    }

    @Test func twoTunnelsDeep() {
        // GRE(IPv4) inside VXLAN: depth 2 is the limit and still decodes.
        let innerGRE = Build.ipv4(source: "192.168.1.1", destination: "192.168.1.2", proto: 47,
                                  payload: Build.gre(protocolType: 0x0800, payload: TunnelTests.innerTCP()))
        let vxlan = Build.udp(destinationPort: 4789, payload: Build.vxlan(vni: 9, payload: Build.ethernet(etherType: 0x0800, payload: innerGRE)))
        let frame = Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 17, payload: vxlan))
        let (packet, error, _) = decode(frame)
        #expect(error == nil)
        #expect(packet.tunnelDepth == 2)
        #expect(packet.tunnel(at: 0)?.kind == .vxlan)
        #expect(packet.tunnel(at: 1)?.kind == .gre)
        #expect(packet.tunnel(at: 1)?.outerSource == ip("192.168.1.1"))
        #expect(packet.source == ip("10.0.0.1"))
    }

    @Test func threeTunnelsIsTooDeep() {
        var datagram = TunnelTests.innerTCP()
        for _ in 0..<3 {
            datagram = Build.ipv4(proto: 47, payload: Build.gre(protocolType: 0x0800, payload: datagram))
        }
        let (packet, error, counters) = decode(Build.ethernet(etherType: 0x0800, payload: datagram))
        #expect(error == .tunnelTooDeep)
        #expect(counters[.tunnelTooDeep] == 1)
        #expect(packet.tunnelDepth == 2)
        #expect(packet.transport == .gre)
    }

    @Test func decapsulationCanBeDisabled() {
        let (packet, error, _) = decode(TunnelTests.vxlanFrame(), decoder: PacketDecoder(decapsulateTunnels: false))
        #expect(error == nil)
        #expect(packet.tunnelDepth == 0)
        #expect(packet.transport == .udp && packet.destinationPort == 4789)
    }

    @Test func innerTruncationReportsInnerLayer() {
        // The outer lengths agree with a short inner frame: the inner decode fails.
        let outerUDP = Build.udp(destinationPort: 4789, payload: Build.vxlan(vni: 1, payload: [0x02, 0x00, 0x00]))
        let (packet, error, _) = decode(Build.ethernet(etherType: 0x0800, payload: Build.ipv4(proto: 17, payload: outerUDP)))
        #expect(error == .truncatedEthernet)
        #expect(packet.tunnelDepth == 1)
        #expect(packet.network == .none)
    }
}
