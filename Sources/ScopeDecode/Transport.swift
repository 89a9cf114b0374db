extension PacketDecoder {
    /// Dispatch on the IP protocol. Unknown protocols are not errors: the
    /// packet is complete at the IP layer and its payload is reported.
    mutating func decodeTransport(
        _ proto: UInt8, _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        packet.transportOffset = offset
        switch proto {
        case IPProtocol.tcp:
            return decodeTCP(reader, at: offset, end: end, into: &packet)
        case IPProtocol.udp:
            return decodeUDP(reader, at: offset, end: end, into: &packet)
        case IPProtocol.icmpv4:
            return decodeICMP(reader, at: offset, end: end, version6: false, into: &packet)
        case IPProtocol.icmpv6:
            return decodeICMP(reader, at: offset, end: end, version6: true, into: &packet)
        case IPProtocol.gre:
            return decodeGRE(reader, at: offset, end: end, into: &packet)
        default:
            packet.transport = .other
            packet.payloadOffset = offset
            packet.payloadLength = end &- offset
            return .done
        }
    }

    mutating func decodeTCP(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 20, end: end) else { return .failed(.truncatedTCP) }
        let headerLength = Int(reader.u8(offset &+ 12) >> 4) &* 4
        // The IP layer already proved the datagram is all there, so a header
        // running past it is a lie in the data offset, not a short capture.
        guard headerLength >= 20, reader.has(offset, headerLength, end: end) else {
            return .failed(.badTCPDataOffset)
        }
        counters.tcp &+= 1
        packet.transport = .tcp
        packet.sourcePort = reader.u16(offset)
        packet.destinationPort = reader.u16(offset &+ 2)
        packet.tcp.sequence = reader.u32(offset &+ 4)
        packet.tcp.acknowledgment = reader.u32(offset &+ 8)
        packet.tcp.flags = TCPFlags(rawValue: reader.u8(offset &+ 13))
        packet.tcp.window = reader.u16(offset &+ 14)
        packet.tcp.urgentPointer = reader.u16(offset &+ 18)
        packet.tcp.headerLength = headerLength
        packet.tcp.options = parseTCPOptions(reader, from: offset &+ 20, to: offset &+ headerLength)
        if packet.tcp.options.malformed { counters.tcpOptionErrors &+= 1 }
        packet.payloadOffset = offset &+ headerLength
        packet.payloadLength = end &- packet.payloadOffset
        return .done
    }

    /// Options live in `start..<end`, already inside the buffer.
    func parseTCPOptions(_ reader: ByteReader, from start: Int, to end: Int) -> TCPOptions {
        var options = TCPOptions()
        var cursor = start
        while cursor < end {
            let kind = reader.u8(cursor)
            if kind == 0 { break }  // end of option list
            if kind == 1 {  // no-op padding
                cursor &+= 1
                continue
            }
            guard reader.has(cursor, 2, end: end) else {
                options.malformed = true
                break
            }
            let length = Int(reader.u8(cursor &+ 1))
            guard length >= 2, reader.has(cursor, length, end: end) else {
                options.malformed = true
                break
            }
            switch (kind, length) {
            case (2, 4):
                options.maximumSegmentSize = reader.u16(cursor &+ 2)
            case (3, 3):
                options.windowScale = reader.u8(cursor &+ 2)
            case (4, 2):
                options.sackPermitted = true
            case (5, _) where length >= 10 && (length &- 2) % 8 == 0:
                options.sackBlockCount = UInt8(truncatingIfNeeded: (length &- 2) / 8)
            case (8, 10):
                options.timestampValue = reader.u32(cursor &+ 2)
                options.timestampEchoReply = reader.u32(cursor &+ 6)
            case (2, _), (3, _), (4, _), (5, _), (8, _):
                options.malformed = true  // known option with a wrong length
            default:
                break  // unknown option: skip by its length
            }
            cursor &+= length
        }
        return options
    }

    mutating func decodeUDP(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 8, end: end) else { return .failed(.truncatedUDP) }
        let length = Int(reader.u16(offset &+ 4))
        guard length >= 8, reader.has(offset, length, end: end) else { return .failed(.badUDPLength) }
        counters.udp &+= 1
        packet.transport = .udp
        packet.sourcePort = reader.u16(offset)
        packet.destinationPort = reader.u16(offset &+ 2)
        packet.payloadOffset = offset &+ 8
        packet.payloadLength = length &- 8
        if decapsulateTunnels && packet.destinationPort == vxlanPort {
            return .vxlan(offset &+ 8, end: offset &+ length)
        }
        return .done
    }

    /// ICMPv4 and ICMPv6 share the layout that matters here: type, code,
    /// checksum and a 4-byte rest-of-header that holds id/seq for echo.
    mutating func decodeICMP(
        _ reader: ByteReader, at offset: Int, end: Int, version6: Bool, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 8, end: end) else { return .failed(.truncatedICMP) }
        counters.icmp &+= 1
        packet.transport = version6 ? .icmpv6 : .icmpv4
        let type = reader.u8(offset)
        packet.icmp.type = type
        packet.icmp.code = reader.u8(offset &+ 1)
        let isEcho = version6 ? (type == 128 || type == 129) : (type == 8 || type == 0)
        if isEcho {
            packet.icmp.echoIdentifier = reader.u16(offset &+ 4)
            packet.icmp.echoSequence = reader.u16(offset &+ 6)
        }
        packet.payloadOffset = offset &+ 8
        packet.payloadLength = end &- packet.payloadOffset
        return .done
    }
}
