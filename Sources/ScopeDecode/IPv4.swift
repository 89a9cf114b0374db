extension PacketDecoder {
    /// IPv4 header with options. The total-length field bounds everything
    /// inside, so Ethernet padding never reaches the transport layer. A bad
    /// header checksum is counted and flagged, not treated as a failure
    /// (captures on the sending host often see checksums left to the NIC),
    /// unless the decoder verifies checksums.
    mutating func decodeIPv4(
        _ reader: ByteReader, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> Layer {
        guard reader.has(offset, 20, end: end) else { return .failed(.truncatedIPv4) }
        let versionAndLength = reader.u8(offset)
        guard versionAndLength >> 4 == 4 else { return .failed(.badIPVersion) }
        let headerLength = Int(versionAndLength & 0x0F) &* 4
        guard headerLength >= 20 else { return .failed(.badIPv4HeaderLength) }
        guard reader.has(offset, headerLength, end: end) else { return .failed(.truncatedIPv4) }
        let totalLength = Int(reader.u16(offset &+ 2))
        guard totalLength >= headerLength else { return .failed(.badIPv4TotalLength) }
        guard reader.has(offset, totalLength, end: end) else { return .failed(.truncatedIPv4) }

        let checksumValid = reader.onesComplementSum(offset, headerLength) == 0xFFFF
        if !checksumValid {
            counters.ipv4ChecksumErrors &+= 1
            if verifiesIPv4Checksums { return .failed(.badIPv4Checksum) }
        }

        counters.ipv4 &+= 1
        let datagramEnd = offset &+ totalLength
        let payloadStart = offset &+ headerLength
        packet.network = .ipv4
        packet.networkOffset = offset
        packet.networkEnd = datagramEnd
        packet.trafficClass = reader.u8(offset &+ 1)
        packet.hopLimit = reader.u8(offset &+ 8)
        packet.ipProtocol = reader.u8(offset &+ 9)
        packet.source = IPAddress(ipv4: reader.u32(offset &+ 12))
        packet.destination = IPAddress(ipv4: reader.u32(offset &+ 16))
        packet.flowLabel = 0
        packet.ipv4ChecksumValid = checksumValid

        let fragmentField = reader.u16(offset &+ 6)
        let moreFragments = fragmentField & 0x2000 != 0
        let fragmentOffset = Int(fragmentField & 0x1FFF) &* 8
        packet.fragment = FragmentInfo()
        if moreFragments || fragmentOffset != 0 {
            // Transport headers of fragments are left to the reassembled datagram.
            counters.fragments &+= 1
            packet.fragment.isFragment = true
            packet.fragment.identification = UInt32(reader.u16(offset &+ 4))
            packet.fragment.offset = fragmentOffset
            packet.fragment.moreFragments = moreFragments
            packet.fragment.dataOffset = payloadStart
            packet.fragment.dataLength = datagramEnd &- payloadStart
            packet.fragment.nextHeader = packet.ipProtocol
            packet.payloadOffset = payloadStart
            packet.payloadLength = datagramEnd &- payloadStart
            return .done
        }
        return .transport(packet.ipProtocol, payloadStart, end: datagramEnd)
    }
}
