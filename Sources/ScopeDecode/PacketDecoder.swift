/// The next header to decode. Decoding is a loop over this value instead of
/// recursion, so tunnels cannot grow the stack and the depth bound is explicit.
/// `end` is where the enclosing datagram stops (IP total length, UDP length),
/// which keeps Ethernet padding out of inner layers.
enum Layer {
    case ethernet(Int, end: Int)
    case ppp(Int, end: Int)
    case pppoe(Int, end: Int)
    case ip(Int, end: Int)
    case ipv4(Int, end: Int)
    case ipv6(Int, end: Int)
    case transport(UInt8, Int, end: Int)
    case vxlan(Int, end: Int)
    case done
    case failed(DecodeError)
}

/// Zero-copy packet decoder: reads headers straight out of the caller's buffer
/// into a `DecodedPacket` value. Decoding allocates nothing and retains
/// nothing; the decoder itself only carries configuration and counters.
public struct PacketDecoder: Sendable {
    /// Tunnels decapsulated per packet at most (GRE and VXLAN combined). A
    /// deeper tunnel fails with `.tunnelTooDeep`.
    public static let maximumTunnelDepth = 2

    public var counters = DecodeCounters()
    /// UDP destination port treated as VXLAN.
    public var vxlanPort: UInt16
    /// When false, GRE and VXLAN payloads are left undecoded.
    public var decapsulateTunnels: Bool

    /// When true, an IPv4 header whose checksum does not verify ends
    /// decoding (`.badIPv4Checksum`: the packet is malformed and reaches
    /// no flow or analyzer). Off by default, as in tshark and Suricata:
    /// captures on the sending host carry checksums the NIC fills in later.
    public var verifiesIPv4Checksums: Bool

    public init(vxlanPort: UInt16 = 4789, decapsulateTunnels: Bool = true, verifiesIPv4Checksums: Bool = false) {
        self.vxlanPort = vxlanPort
        self.decapsulateTunnels = decapsulateTunnels
        self.verifiesIPv4Checksums = verifiesIPv4Checksums
    }

    /// Decodes `bytes` into `packet` (which is reset first). Returns nil when
    /// every layer down to the innermost decoded, otherwise the reason it
    /// stopped; layers decoded before the failure stay valid. Never traps.
    /// `countAsPacket` false: a datagram reassembled from fragments already
    /// counted as packets (its layers are still counted).
    @discardableResult
    public mutating func decode(
        _ bytes: UnsafeRawBufferPointer,
        linkType: LinkType = .ethernet,
        into packet: inout DecodedPacket,
        countAsPacket: Bool = true
    ) -> DecodeError? {
        packet = DecodedPacket()
        packet.linkType = linkType
        packet.capturedLength = bytes.count
        if countAsPacket { counters.packets &+= 1 }
        let reader = ByteReader(bytes)
        var layer: Layer = linkType == .ethernet
            ? .ethernet(0, end: bytes.count)
            : decodeLink(linkType, reader, end: bytes.count, into: &packet)
        while true {
            switch layer {
            case let .ethernet(offset, end):
                layer = decodeEthernet(reader, at: offset, end: end, into: &packet)
            case let .ppp(offset, end):
                layer = decodePPP(reader, at: offset, end: end, into: &packet)
            case let .pppoe(offset, end):
                layer = decodePPPoE(reader, at: offset, end: end, into: &packet)
            case let .ip(offset, end):
                layer = dispatchIP(reader, at: offset, end: end)
            case let .ipv4(offset, end):
                layer = decodeIPv4(reader, at: offset, end: end, into: &packet)
            case let .ipv6(offset, end):
                layer = decodeIPv6(reader, at: offset, end: end, into: &packet)
            case let .transport(proto, offset, end):
                layer = decodeTransport(proto, reader, at: offset, end: end, into: &packet)
            case let .vxlan(offset, end):
                layer = decodeVXLAN(reader, at: offset, end: end, into: &packet)
            case .done:
                counters.decoded &+= 1
                return nil
            case let .failed(reason):
                counters.record(reason)
                return reason
            }
        }
    }

    /// Raw IP input: the first nibble picks the IP version.
    private func dispatchIP(_ reader: ByteReader, at offset: Int, end: Int) -> Layer {
        guard reader.has(offset, 1, end: end) else { return .failed(.truncatedIPv4) }
        switch reader.u8(offset) >> 4 {
        case 4: return .ipv4(offset, end: end)
        case 6: return .ipv6(offset, end: end)
        default: return .failed(.badIPVersion)
        }
    }
}

extension DecodedPacket {
    /// Forget the layers inside a tunnel header before decoding the inner
    /// packet, so nothing of the outer packet leaks into inner fields.
    mutating func resetInnerLayers() {
        network = .none
        networkOffset = 0
        networkEnd = 0
        source = .zero
        destination = .zero
        ipProtocol = 0
        hopLimit = 0
        trafficClass = 0
        flowLabel = 0
        ipv4ChecksumValid = true
        fragment = FragmentInfo()
        transport = .none
        transportOffset = 0
        sourcePort = 0
        destinationPort = 0
        tcp = TCPHeader()
        icmp = ICMPHeader()
        payloadOffset = 0
        payloadLength = 0
    }
}
