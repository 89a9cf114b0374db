import Testing
@testable import ScopeDecode

/// GRE (IPv4 in GRE with checksum, key and sequence; Ethernet in GRE with a
/// key; IPv6 in GRE over IPv6) and VXLAN from real captures against tshark,
/// including where the inner packet starts.
@Suite("Decoder vs tshark: tunnels")
struct HeaderOracleTunnelTests {
    /// Where the layer after the tunnel header at `position` starts in the
    /// decoder's view, when it is the innermost one (nil otherwise).
    static func innerStart(_ frame: OracleFrame, after position: Int) -> Int? {
        let packet = frame.packet
        guard frame.tunnelIndex(at: position) == packet.tunnelDepth - 1 else { return nil }
        return frame.path[position + 1] == "eth" ? packet.ethernetOffset : packet.networkOffset
    }

    @Test func gre() {
        var seen = (tunnels: 0, checksummed: 0, keyed: 0, sequenced: 0, ethernet: 0, overIPv6: 0)
        for (row, frame) in HeaderOracleLinkTests.rows("gre") {
            for (occurrence, position) in frame.positions(of: "gre").enumerated() {
                guard frame.isTunnel(at: position) else {
                    Issue.record("\(frame.label): GRE the decoder would not open")
                    continue
                }
                let tunnel = frame.packet.tunnel(at: frame.tunnelIndex(at: position))
                let flags = row.int("gre.flags_and_version", occurrence) ?? 0
                #expect(tunnel?.kind == .gre, "\(frame.label)")
                #expect(tunnel.map { Int($0.protocolType) } == row.int("gre.proto", occurrence), "\(frame.label)")
                #expect(tunnel?.greChecksumPresent == (flags & 0x8000 != 0), "\(frame.label)")
                #expect(tunnel?.greKey.map(Int.init) == row.int("gre.key", occurrence), "\(frame.label)")
                #expect(tunnel?.greSequence.map(Int.init) == row.int("gre.sequence_number", occurrence), "\(frame.label)")
                // Header: 4 bytes, +4 each for checksum (with its reserved half), key, sequence.
                let length = 4 + [0x8000, 0x2000, 0x1000].filter { flags & $0 != 0 }.count * 4
                if let tunnel, let start = Self.innerStart(frame, after: position) {
                    #expect(start == tunnel.headerOffset + length, "\(frame.label)")
                    #expect(tunnel.outerNetworkOffset < tunnel.headerOffset, "\(frame.label)")
                }
                seen.tunnels += 1
                if flags & 0x8000 != 0 { seen.checksummed += 1 }
                if flags & 0x2000 != 0 { seen.keyed += 1 }
                if flags & 0x1000 != 0 { seen.sequenced += 1 }
                if tunnel?.protocolType == 0x6558 { seen.ethernet += 1 }
                if tunnel?.outerSource.family == .ipv6 { seen.overIPv6 += 1 }
            }
        }
        #expect(seen.tunnels >= 50 && seen.checksummed >= 10 && seen.keyed >= 30 && seen.sequenced >= 10, "\(seen)")
        #expect(seen.ethernet >= 15 && seen.overIPv6 >= 10, "\(seen)")
    }

    @Test func vxlan() {
        var seen = 0
        for (row, frame) in HeaderOracleLinkTests.rows("vxlan") {
            for (occurrence, position) in frame.positions(of: "vxlan").enumerated() {
                let tunnel = frame.packet.tunnel(at: frame.tunnelIndex(at: position))
                let flags = row.int("vxlan.flags", occurrence) ?? 0
                #expect(tunnel?.kind == .vxlan, "\(frame.label)")
                #expect(tunnel.map { Int($0.vni) } == row.int("vxlan.vni", occurrence), "\(frame.label)")
                #expect(flags & 0x0800 != 0, "\(frame.label): tshark sees no I flag")  // the flag the decoder requires
                if let tunnel, let start = Self.innerStart(frame, after: position) {
                    #expect(start == tunnel.headerOffset + 8, "\(frame.label)")
                }
                seen += 1
            }
        }
        #expect(seen >= 40)
    }

    /// Every tunnel tshark opened is one the decoder opened, in the same order.
    @Test func tunnelDepthMatches() {
        var tunneled = 0
        for capture in OracleCapture.all {
            for frame in capture.frames.values {
                let kinds = frame.path.indices.filter { frame.isTunnel(at: $0) }.map { frame.path[$0] }
                let decoded = (0..<frame.packet.tunnelDepth).compactMap { frame.packet.tunnel(at: $0)?.kind }
                #expect(decoded.map { $0 == .gre ? "gre" : "vxlan" } == kinds, "\(frame.label)")
                if !kinds.isEmpty { tunneled += 1 }
            }
        }
        #expect(tunneled >= 90)
    }
}
