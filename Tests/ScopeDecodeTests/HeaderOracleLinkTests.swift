import Testing
@testable import ScopeDecode

/// Ethernet II, 802.1Q and QinQ (802.1ad outer tag with PCP 5, 802.1Q inner)
/// from real captures, field by field against tshark.
@Suite("Decoder vs tshark: link layer")
struct HeaderOracleLinkTests {
    static func rows(_ layer: String) -> [(row: OracleRow, frame: OracleFrame)] {
        OracleCapture.all.flatMap { $0.rows(layer) }
    }

    /// Real traffic is well formed: everything decodes except non-IP frames.
    @Test func everyPacketDecodes() {
        var frames = 0
        for capture in OracleCapture.all {
            #expect(capture.frames.count > 200, "\(capture.name) capture is missing")
            for frame in capture.frames.values {
                frames += 1
                let expected: DecodeError? = frame.path.contains("arp") ? .unsupportedEtherType : nil
                #expect(frame.error == expected, "\(frame.label)")
                #expect(frame.packet.capturedLength == frame.bytes.count)
            }
        }
        #expect(frames == Self.rows("frames").count)
    }

    @Test func ethernet() {
        var checked = 0, insideTunnels = 0
        for (row, frame) in Self.rows("eth") {
            let positions = frame.positions(of: "eth")
            guard let innermost = positions.last else {
                Issue.record("\(frame.label): no Ethernet layer")
                continue
            }
            let occurrence = positions.count - 1
            let packet = frame.packet
            #expect(packet.destinationMAC == row.mac("eth.dst", occurrence), "\(frame.label)")
            #expect(packet.sourceMAC == row.mac("eth.src", occurrence), "\(frame.label)")
            // Behind tags tshark reports the EtherType as the last tag's vlan.etype.
            let tagged = innermost + 1 < frame.path.count && ["vlan", "ieee8021ad"].contains(frame.path[innermost + 1])
            let etherType = tagged ? row.int("vlan.etype", row.values("vlan.etype").count - 1)
                                   : row.int("eth.type", occurrence)
            #expect(Int(packet.etherType) == etherType, "\(frame.label)")
            if occurrence == 0 { #expect(packet.ethernetOffset == 0, "\(frame.label)") }
            checked += 1
            if occurrence > 0 { insideTunnels += 1 }
        }
        #expect(checked >= 450 && insideTunnels >= 60, "\(checked) frames, \(insideTunnels) inner Ethernet")
    }

    /// 802.1Q: one tag; the id is masked out of the TCI.
    @Test func vlan8021Q() {
        var checked = 0
        for (row, frame) in Self.rows("eth") where frame.path.contains("vlan") && !frame.path.contains("ieee8021ad") {
            let packet = frame.packet
            #expect(packet.vlanCount == 1, "\(frame.label)")
            #expect(Int(packet.vlanIDs.outer) == row.int("vlan.id"), "\(frame.label)")
            #expect(packet.vlanIDs.inner == 0, "\(frame.label)")
            if packet.network != .other { #expect(packet.networkOffset == 18, "\(frame.label)") }
            checked += 1
        }
        #expect(checked >= 15)
    }

    /// QinQ: the 802.1ad service tag (TPID 0x88A8, PCP 5) is the outer id,
    /// the 802.1Q customer tag the inner one.
    @Test func qinq() {
        var checked = 0
        for (row, frame) in Self.rows("eth") where frame.path.contains("ieee8021ad") {
            let packet = frame.packet
            #expect(packet.vlanCount == 2, "\(frame.label)")
            #expect(Int(packet.vlanIDs.outer) == row.int("ieee8021ad.id"), "\(frame.label)")
            #expect(Int(packet.vlanIDs.inner) == row.int("vlan.id"), "\(frame.label)")
            if packet.network != .other { #expect(packet.networkOffset == 22, "\(frame.label)") }
            checked += 1
        }
        #expect(checked >= 20)
    }

    @Test func untaggedFramesHaveNoVLAN() {
        var checked = 0
        for (_, frame) in Self.rows("eth") where !frame.path.contains("vlan") && !frame.path.contains("ieee8021ad") {
            #expect(frame.packet.vlanCount == 0 && frame.packet.vlanIDs == (0, 0), "\(frame.label)")
            checked += 1
        }
        #expect(checked >= 400)
    }
}
