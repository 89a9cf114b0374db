enum IPProtocol {
    static let hopByHop: UInt8 = 0
    static let icmpv4: UInt8 = 1
    static let tcp: UInt8 = 6
    static let udp: UInt8 = 17
    static let routing: UInt8 = 43
    static let fragment: UInt8 = 44
    static let gre: UInt8 = 47
    static let esp: UInt8 = 50
    static let authentication: UInt8 = 51
    static let icmpv6: UInt8 = 58
    static let noNextHeader: UInt8 = 59
    static let destinationOptions: UInt8 = 60
}

extension PacketDecoder {
    /// Longest extension-header chain followed; every header is at least 8
    /// bytes so the buffer bounds the loop anyway, this bounds the work.
    static let maximumExtensionHeaders = 16

    /// IPv6 header and extension-header chain. Stops at the first upper-layer
    /// protocol, at ESP (encrypted, nothing more to read) or "no next header".
    mutating func decodeIPv6(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 40, end: end) else { return .failed(.truncatedIPv6) }
        let firstWord = reader.u32(offset)
        guard firstWord >> 28 == 6 else { return .failed(.badIPVersion) }
        let payloadLength = Int(reader.u16(offset &+ 4))
        var nextHeader = reader.u8(offset &+ 6)
        let headerEnd = offset &+ 40
        let datagramEnd: Int
        if payloadLength == 0 && nextHeader == IPProtocol.hopByHop {
            // Jumbogram: the real length is in a hop-by-hop option; trust the buffer.
            datagramEnd = end
        } else {
            guard reader.has(headerEnd, payloadLength, end: end) else { return .failed(.truncatedIPv6) }
            datagramEnd = headerEnd &+ payloadLength
        }

        counters.ipv6 &+= 1
        packet.network = .ipv6
        packet.networkOffset = offset
        packet.networkEnd = datagramEnd
        packet.trafficClass = UInt8(truncatingIfNeeded: firstWord >> 20)
        packet.flowLabel = firstWord & 0x000F_FFFF
        packet.hopLimit = reader.u8(offset &+ 7)
        packet.source = IPAddress(ipv6High: reader.u64(offset &+ 8), low: reader.u64(offset &+ 16))
        packet.destination = IPAddress(ipv6High: reader.u64(offset &+ 24), low: reader.u64(offset &+ 32))
        packet.ipv4ChecksumValid = true
        packet.fragment = FragmentInfo()

        var cursor = headerEnd
        var nextHeaderField = offset &+ 6
        var headersSeen = 0
        while true {
            let length: Int
            switch nextHeader {
            case IPProtocol.hopByHop, IPProtocol.routing, IPProtocol.destinationOptions:
                guard reader.has(cursor, 2, end: datagramEnd) else { return .failed(.badExtensionHeader) }
                length = (Int(reader.u8(cursor &+ 1)) &+ 1) &* 8
            case IPProtocol.authentication:
                guard reader.has(cursor, 2, end: datagramEnd) else { return .failed(.badExtensionHeader) }
                length = (Int(reader.u8(cursor &+ 1)) &+ 2) &* 4
            case IPProtocol.fragment:
                length = 8
            default:
                packet.ipProtocol = nextHeader
                return .transport(nextHeader, cursor, end: datagramEnd)
            }
            headersSeen &+= 1
            guard headersSeen <= PacketDecoder.maximumExtensionHeaders,
                  reader.has(cursor, length, end: datagramEnd)
            else { return .failed(.badExtensionHeader) }

            let following = reader.u8(cursor)
            if nextHeader == IPProtocol.fragment {
                let field = reader.u16(cursor &+ 2)
                let fragmentOffset = Int(field >> 3) &* 8
                let moreFragments = field & 1 != 0
                if fragmentOffset != 0 || moreFragments {
                    counters.fragments &+= 1
                    let dataStart = cursor &+ 8
                    packet.ipProtocol = following
                    packet.fragment.isFragment = true
                    packet.fragment.identification = reader.u32(cursor &+ 4)
                    packet.fragment.offset = fragmentOffset
                    packet.fragment.moreFragments = moreFragments
                    packet.fragment.dataOffset = dataStart
                    packet.fragment.dataLength = datagramEnd &- dataStart
                    packet.fragment.nextHeader = following
                    packet.fragment.fragmentHeaderOffset = cursor
                    packet.fragment.nextHeaderFieldOffset = nextHeaderField
                    packet.payloadOffset = dataStart
                    packet.payloadLength = datagramEnd &- dataStart
                    return .done
                }
                // Atomic fragment (RFC 6946): a whole datagram, keep decoding.
            }
            nextHeaderField = cursor
            nextHeader = following
            cursor &+= length
        }
    }
}
