import Testing
@testable import ScopeDecode

/// TCP (with MSS, SACK, timestamps, window scale), UDP, ICMPv4 and ICMPv6
/// from real captures, field by field against tshark. A transport header
/// inside a fragment is tshark's alone: the decoder leaves it to reassembly.
@Suite("Decoder vs tshark: transport")
struct HeaderOracleTransportTests {
    /// The decoder's transport layer for a row of `layer`'s table, or nil when
    /// the frame is a fragment (checked to have no transport layer then).
    static func innermost(_ frame: OracleFrame) -> DecodedPacket? {
        guard !frame.packet.fragment.isFragment else {
            #expect(frame.packet.transport == .none, "\(frame.label)")
            return nil
        }
        return frame.packet
    }

    @Test func tcp() {
        var seen = (segments: 0, mss: 0, windowScale: 0, sackPermitted: 0, sackBlocks: 0, timestamps: 0, payload: 0)
        for (row, frame) in HeaderOracleLinkTests.rows("tcp") {
            guard frame.path.contains("tcp") else {  // a TCP header quoted by ICMP
                #expect(frame.packet.transport == .icmpv4 || frame.packet.transport == .icmpv6, "\(frame.label)")
                continue
            }
            guard let packet = Self.innermost(frame) else { continue }
            let tcp = packet.tcp
            #expect(packet.transport == .tcp, "\(frame.label)")
            #expect(Int(packet.sourcePort) == row.int("tcp.srcport"), "\(frame.label)")
            #expect(Int(packet.destinationPort) == row.int("tcp.dstport"), "\(frame.label)")
            #expect(Int(tcp.sequence) == row.int("tcp.seq_raw"), "\(frame.label)")
            #expect(Int(tcp.acknowledgment) == row.int("tcp.ack_raw") ?? 0, "\(frame.label)")
            // tshark's flags field is 12 bits wide (with AE/NS); the decoder keeps the classic eight.
            #expect(Int(tcp.flags.rawValue) == (row.int("tcp.flags") ?? -1) & 0xFF, "\(frame.label)")
            #expect(Int(tcp.window) == row.int("tcp.window_size_value"), "\(frame.label)")
            #expect(Int(tcp.urgentPointer) == row.int("tcp.urgent_pointer"), "\(frame.label)")
            #expect(tcp.headerLength == row.int("tcp.hdr_len"), "\(frame.label)")
            #expect(packet.payloadLength == row.int("tcp.len"), "\(frame.label)")
            #expect(packet.payloadOffset == packet.transportOffset + tcp.headerLength, "\(frame.label)")

            let options = tcp.options
            let kinds = row.values("tcp.option_kind").compactMap { Int($0) }
            #expect(options.maximumSegmentSize.map(Int.init) == row.int("tcp.options.mss_val"), "\(frame.label)")
            #expect(options.windowScale.map(Int.init) == row.int("tcp.options.wscale.shift"), "\(frame.label)")
            #expect(options.sackPermitted == kinds.contains(4), "\(frame.label)")
            #expect(Int(options.sackBlockCount) == row.int("tcp.options.sack.count") ?? 0, "\(frame.label)")
            #expect(options.timestampValue.map(Int.init) == row.int("tcp.options.timestamp.tsval"), "\(frame.label)")
            #expect(options.timestampEchoReply.map(Int.init) == row.int("tcp.options.timestamp.tsecr"), "\(frame.label)")
            #expect(!options.malformed, "\(frame.label)")

            seen.segments += 1
            if options.maximumSegmentSize != nil { seen.mss += 1 }
            if options.windowScale != nil { seen.windowScale += 1 }
            if options.sackPermitted { seen.sackPermitted += 1 }
            if options.sackBlockCount > 0 { seen.sackBlocks += 1 }
            if options.timestampValue != nil { seen.timestamps += 1 }
            if packet.payloadLength > 0 { seen.payload += 1 }
        }
        #expect(seen.segments >= 250 && seen.payload >= 50, "\(seen)")
        #expect(seen.mss >= 20 && seen.windowScale >= 20 && seen.sackPermitted >= 20, "\(seen)")
        #expect(seen.sackBlocks >= 5 && seen.timestamps >= 250, "\(seen)")
    }

    @Test func udp() {
        var seen = (datagrams: 0, vxlanCarriers: 0)
        for (row, frame) in HeaderOracleLinkTests.rows("udp") {
            for (occurrence, position) in frame.positions(of: "udp").enumerated() {
                let packet = frame.packet
                if frame.isTunnel(at: position + 1) {  // VXLAN's outer UDP
                    let tunnel = packet.tunnel(at: frame.tunnelIndex(at: position + 1))
                    #expect(tunnel?.kind == .vxlan, "\(frame.label)")
                    #expect(row.int("udp.dstport", occurrence) == 4789, "\(frame.label)")
                    seen.vxlanCarriers += 1
                    continue
                }
                guard let packet = Self.innermost(frame) else { continue }
                #expect(packet.transport == .udp, "\(frame.label)")
                #expect(Int(packet.sourcePort) == row.int("udp.srcport", occurrence), "\(frame.label)")
                #expect(Int(packet.destinationPort) == row.int("udp.dstport", occurrence), "\(frame.label)")
                #expect(packet.payloadLength == (row.int("udp.length", occurrence) ?? 0) - 8, "\(frame.label)")
                #expect(packet.payloadOffset == packet.transportOffset + 8, "\(frame.label)")
                seen.datagrams += 1
            }
        }
        #expect(seen.datagrams >= 20 && seen.vxlanCarriers >= 40, "\(seen)")
    }

    @Test func icmpv4() {
        checkICMP("icmp", transport: .icmpv4, echo: [0, 8], errors: [3, 11],
                  identifier: "icmp.ident", sequence: "icmp.seq", minimum: 15)
    }

    @Test func icmpv6() {
        checkICMP("icmpv6", transport: .icmpv6, echo: [128, 129], errors: Set(1...4),
                  identifier: "icmpv6.echo.identifier", sequence: "icmpv6.echo.sequence_number", minimum: 50)
    }

    /// Type and code always; identifier and sequence for echo messages only
    /// (for errors, tshark's first identifier would be the quoted packet's).
    func checkICMP(_ layer: String, transport: TransportLayer, echo: Set<Int>, errors: Set<Int>,
                   identifier: String, sequence: String, minimum: Int) {
        var seen = (messages: 0, echoes: 0, errors: 0)
        for (row, frame) in HeaderOracleLinkTests.rows(layer) {
            guard let packet = Self.innermost(frame) else { continue }
            #expect(packet.transport == transport, "\(frame.label)")
            let type = row.int("\(layer).type") ?? -1
            #expect(Int(packet.icmp.type) == type && Int(packet.icmp.code) == row.int("\(layer).code"), "\(frame.label)")
            #expect(packet.payloadOffset == packet.transportOffset + 8, "\(frame.label)")
            if echo.contains(type) {
                #expect(packet.icmp.echoIdentifier.map(Int.init) == row.int(identifier), "\(frame.label)")
                #expect(packet.icmp.echoSequence.map(Int.init) == row.int(sequence), "\(frame.label)")
                seen.echoes += 1
            } else {
                #expect(packet.icmp.echoIdentifier == nil && packet.icmp.echoSequence == nil, "\(frame.label)")
                if errors.contains(type) { seen.errors += 1 }
            }
            seen.messages += 1
        }
        #expect(seen.messages >= minimum && seen.echoes >= 8 && seen.errors >= 1, "\(layer): \(seen)")
    }
}
