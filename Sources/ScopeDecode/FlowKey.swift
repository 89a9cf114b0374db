/// Which endpoint of a `FlowKey` sent a packet.
public enum FlowDirection: UInt8, Sendable {
    /// Sent by (`lowAddress`, `lowPort`).
    case fromLow = 0
    /// Sent by (`highAddress`, `highPort`).
    case fromHigh = 1

    public var reversed: FlowDirection { self == .fromLow ? .fromHigh : .fromLow }
}

/// Bidirectional flow identity: the two endpoints in canonical order (the
/// numerically smaller address:port first), the IP protocol and the outer
/// VLAN id (0 when untagged), so both directions of a conversation map to
/// the same key. ICMP echo uses the echo identifier as both "ports" so
/// request and reply pair up; other ICMP messages use 0.
public struct FlowKey: Hashable, Sendable {
    public var lowAddress: IPAddress
    public var highAddress: IPAddress
    public var lowPort: UInt16
    public var highPort: UInt16
    public var ipProtocol: UInt8
    public var vlanID: UInt16

    /// Builds the key from an endpoint pair in either order and reports
    /// which side the given source is.
    public static func make(
        source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16,
        ipProtocol: UInt8, vlanID: UInt16 = 0
    ) -> (key: FlowKey, direction: FlowDirection) {
        let sourceIsLow = source < destination || (source == destination && sourcePort <= destinationPort)
        if sourceIsLow {
            return (FlowKey(lowAddress: source, highAddress: destination, lowPort: sourcePort,
                            highPort: destinationPort, ipProtocol: ipProtocol, vlanID: vlanID), .fromLow)
        }
        return (FlowKey(lowAddress: destination, highAddress: source, lowPort: destinationPort,
                        highPort: sourcePort, ipProtocol: ipProtocol, vlanID: vlanID), .fromHigh)
    }

    /// Key and direction for a decoded packet, or nil without an IP layer.
    /// Fragments return nil: they are counted once, as the reassembled
    /// datagram, which is the only piece that carries the ports. So do TCP,
    /// UDP and ICMP packets whose transport header failed to decode, rather
    /// than landing in a bogus port-0 flow.
    public static func make(for packet: DecodedPacket) -> (key: FlowKey, direction: FlowDirection)? {
        guard packet.network == .ipv4 || packet.network == .ipv6, !packet.fragment.isFragment else { return nil }
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        switch packet.transport {
        case .tcp, .udp:
            sourcePort = packet.sourcePort
            destinationPort = packet.destinationPort
        case .icmpv4, .icmpv6:
            let identifier = packet.icmp.echoIdentifier ?? 0
            sourcePort = identifier
            destinationPort = identifier
        case .none where packet.ipProtocol == IPProtocol.tcp || packet.ipProtocol == IPProtocol.udp
            || packet.ipProtocol == IPProtocol.icmpv4 || packet.ipProtocol == IPProtocol.icmpv6:
            return nil
        default:
            break
        }
        return make(source: packet.source, sourcePort: sourcePort, destination: packet.destination,
                    destinationPort: destinationPort, ipProtocol: packet.ipProtocol, vlanID: packet.vlanIDs.outer)
    }

    /// Seeded 64-bit hash for the flow table's open addressing. The seed is
    /// random per table so crafted traffic cannot aim for one probe chain.
    func hash(seed: UInt64) -> UInt64 {
        // Cheap multiply-rotate absorption per word, one full mix at the end.
        let small = UInt64(lowPort) | UInt64(highPort) << 16 | UInt64(ipProtocol) << 32
            | UInt64(vlanID) << 40 | UInt64(lowAddress.family.rawValue) << 56
        var state = seed
        @inline(__always) func absorb(_ word: UInt64) {
            state = ((state ^ word) &* 0x9E37_79B9_7F4A_7C15).rotatedLeft(27)
        }
        absorb(lowAddress.high)
        absorb(lowAddress.low)
        absorb(highAddress.high)
        absorb(highAddress.low)
        absorb(small)
        return FlowKey.mix(state)
    }

    /// A 64-bit finalizer (multiply / xor-shift); every input bit affects
    /// every output bit, which linear probing needs in the low bits.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    @inline(__always)
    func rotatedLeft(_ count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
