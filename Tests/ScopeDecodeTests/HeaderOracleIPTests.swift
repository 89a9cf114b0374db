import Testing
@testable import ScopeDecode

/// IPv4 (with options), IPv6 with extension headers, and fragments of both
/// from real captures, field by field against tshark. The innermost IP layer
/// is the decoder's; outer layers are the tunnels' recorded addresses.
@Suite("Decoder vs tshark: IP")
struct HeaderOracleIPTests {
    @Test func ipv4() {
        var seen = (innermost: 0, options: 0, fragments: 0, outer: 0, badChecksum: 0)
        for (row, frame) in HeaderOracleLinkTests.rows("ipv4") {
            let packet = frame.packet
            for (occurrence, position) in frame.positions(of: "ip").enumerated() {
                let layer = frame.ipLayerIndex(at: position)
                if layer < frame.tunnelCount {  // a tunnel's outer header
                    let tunnel = packet.tunnel(at: layer)
                    #expect(tunnel?.outerSource == row.address("ip.src", occurrence), "\(frame.label)")
                    #expect(tunnel?.outerDestination == row.address("ip.dst", occurrence), "\(frame.label)")
                    seen.outer += 1
                    continue
                }
                #expect(packet.network == .ipv4, "\(frame.label)")
                #expect(packet.source == row.address("ip.src", occurrence), "\(frame.label)")
                #expect(packet.destination == row.address("ip.dst", occurrence), "\(frame.label)")
                #expect(Int(packet.hopLimit) == row.int("ip.ttl", occurrence), "\(frame.label)")
                #expect(Int(packet.trafficClass) == row.int("ip.dsfield", occurrence), "\(frame.label)")
                #expect(Int(packet.ipProtocol) == row.int("ip.proto", occurrence), "\(frame.label)")
                #expect(packet.ipLength == row.int("ip.len", occurrence), "\(frame.label)")
                #expect(packet.ipv4ChecksumValid == (row.int("ip.checksum.status", occurrence) == 1), "\(frame.label)")
                let headerLength = row.int("ip.hdr_len", occurrence) ?? 0
                let moreFragments = row.int("ip.flags.mf", occurrence) == 1
                let offset = (row.int("ip.frag_offset", occurrence) ?? 0) * 8  // tshark counts 8-byte units
                let fragment = packet.fragment
                #expect(fragment.isFragment == (moreFragments || offset > 0), "\(frame.label)")
                if fragment.isFragment {
                    #expect(Int(fragment.identification) == row.int("ip.id", occurrence), "\(frame.label)")
                    #expect(fragment.offset == offset && fragment.moreFragments == moreFragments, "\(frame.label)")
                    #expect(fragment.dataOffset == packet.networkOffset + headerLength, "\(frame.label)")
                    #expect(fragment.dataLength == packet.ipLength - headerLength, "\(frame.label)")
                    #expect(packet.transport == .none, "\(frame.label)")
                    seen.fragments += 1
                } else {
                    #expect(packet.transportOffset == packet.networkOffset + headerLength, "\(frame.label)")
                }
                seen.innermost += 1
                if headerLength > 20 { seen.options += 1 }
                if !packet.ipv4ChecksumValid { seen.badChecksum += 1 }
            }
        }
        #expect(seen.innermost >= 300 && seen.outer >= 60, "\(seen)")
        #expect(seen.options >= 4 && seen.fragments >= 10, "\(seen)")
    }

    /// The extension headers tshark and the decoder both walk.
    static let extensionHeaders = ["ipv6.hopopts", "ipv6.routing", "ipv6.dstopts", "ipv6.fraghdr"]

    @Test func ipv6WithExtensionHeaders() {
        var seen = (innermost: 0, outer: 0, fragments: 0, chains: 0)
        var kinds = Set<String>()
        for (row, frame) in HeaderOracleLinkTests.rows("ipv6") {
            let packet = frame.packet
            for (occurrence, position) in frame.positions(of: "ipv6").enumerated() {
                let layer = frame.ipLayerIndex(at: position)
                if layer < frame.tunnelCount {  // a tunnel's outer header
                    #expect(packet.tunnel(at: layer)?.outerSource == row.address("ipv6.src", occurrence), "\(frame.label)")
                    #expect(packet.tunnel(at: layer)?.outerDestination == row.address("ipv6.dst", occurrence), "\(frame.label)")
                    seen.outer += 1
                    continue
                }
                #expect(packet.network == .ipv6, "\(frame.label)")
                #expect(packet.source == row.address("ipv6.src", occurrence), "\(frame.label)")
                #expect(packet.destination == row.address("ipv6.dst", occurrence), "\(frame.label)")
                #expect(Int(packet.hopLimit) == row.int("ipv6.hlim", occurrence), "\(frame.label)")
                #expect(Int(packet.trafficClass) == row.int("ipv6.tclass", occurrence), "\(frame.label)")
                #expect(Int(packet.flowLabel) == row.int("ipv6.flow", occurrence), "\(frame.label)")
                #expect(packet.ipLength == (row.int("ipv6.plen", occurrence) ?? -1) + 40, "\(frame.label)")

                // Walk the chain as tshark saw it, up to a real fragment's header.
                var end = packet.networkOffset + 40
                var protocolField = row.int("ipv6.nxt", occurrence)
                var index = position + 1
                var fragmented = false
                while index < frame.path.count, Self.extensionHeaders.contains(frame.path[index]), !fragmented {
                    let kind = frame.path[index]
                    let nth = frame.path[..<index].filter { $0 == kind }.count
                    kinds.insert(kind)
                    protocolField = row.int("\(kind).nxt", nth)
                    if kind == "ipv6.fraghdr" {
                        end += 8
                        let offset = (row.int("ipv6.fraghdr.offset", nth) ?? 0) * 8
                        let more = row.int("ipv6.fraghdr.more", nth) == 1
                        fragmented = offset > 0 || more
                        if fragmented {
                            #expect(packet.fragment.isFragment && packet.fragment.offset == offset, "\(frame.label)")
                            #expect(packet.fragment.moreFragments == more, "\(frame.label)")
                            #expect(Int(packet.fragment.identification) == row.int("ipv6.fraghdr.ident", nth), "\(frame.label)")
                            #expect(packet.fragment.fragmentHeaderOffset == end - 8, "\(frame.label)")
                            #expect(Int(packet.fragment.nextHeader) == protocolField, "\(frame.label)")
                        }
                    } else {
                        end += ((row.int("\(kind).len", nth) ?? -1) + 1) * 8
                    }
                    index += 1
                }
                if index > position + 1 { seen.chains += 1 }
                #expect(Int(packet.ipProtocol) == protocolField, "\(frame.label)")
                if fragmented {
                    #expect(packet.fragment.dataOffset == end && packet.transport == .none, "\(frame.label)")
                    #expect(packet.fragment.dataLength == packet.networkEnd - end, "\(frame.label)")
                    seen.fragments += 1
                } else {
                    #expect(!packet.fragment.isFragment && packet.transportOffset == end, "\(frame.label)")
                }
                seen.innermost += 1
            }
        }
        #expect(kinds == Set(Self.extensionHeaders))
        #expect(seen.innermost >= 100 && seen.outer >= 14 && seen.fragments >= 10 && seen.chains >= 20, "\(seen)")
    }
}
