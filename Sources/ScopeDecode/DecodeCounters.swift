/// Why the decoder stopped before the innermost layer. The layers decoded
/// before the failure stay filled in on the `DecodedPacket`.
public enum DecodeError: UInt8, CaseIterable, Error, Sendable {
    case truncatedEthernet
    case truncatedVLAN
    /// Not a malformation: a non-IP EtherType (ARP, LLDP, ...) or link
    /// protocol (PPP LCP, an unknown loopback family). The link layer is
    /// decoded; the packet is counted as "other".
    case unsupportedEtherType
    case badIPVersion
    case truncatedIPv4
    case badIPv4HeaderLength
    case badIPv4TotalLength
    case truncatedIPv6
    case badExtensionHeader
    case truncatedTCP
    case badTCPDataOffset
    case truncatedUDP
    case badUDPLength
    case truncatedICMP
    case truncatedGRE
    case truncatedVXLAN
    case badVXLANFlags
    case tunnelTooDeep
    /// A non-Ethernet link header (Linux cooked, loopback, PPP, PPPoE,
    /// Cisco HDLC) cut short.
    case truncatedLinkHeader
    /// PPPoE that is not version 1, type 1 session data.
    case badPPPoEHeader
    /// Only with `verifiesIPv4Checksums`: the IPv4 header checksum is wrong.
    case badIPv4Checksum

    /// False for outcomes that are counted but are not broken packets.
    public var isMalformation: Bool { self != .unsupportedEtherType }
}

/// Per-reason and per-layer packet counts. Plain fixed storage (a tuple
/// indexed by `DecodeError.rawValue`) so counting never allocates.
public struct DecodeCounters: Sendable, Equatable {
    public var packets: UInt64 = 0
    /// Packets decoded down to their innermost layer without error.
    public var decoded: UInt64 = 0
    public var ipv4: UInt64 = 0
    public var ipv6: UInt64 = 0
    public var tcp: UInt64 = 0
    public var udp: UInt64 = 0
    public var icmp: UInt64 = 0
    public var fragments: UInt64 = 0
    public var vlanTagged: UInt64 = 0
    public var tunnelsDecapsulated: UInt64 = 0
    public var ipv4ChecksumErrors: UInt64 = 0
    /// TCP segments whose options were malformed (the segment still decoded).
    public var tcpOptionErrors: UInt64 = 0

    // 24 slots; DecodeError has fewer cases (checked by a test).
    private typealias Slots = (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    )
    static let slotCount = 24
    private var slots: Slots = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    /// Count of packets that stopped with `reason`.
    public subscript(reason: DecodeError) -> UInt64 {
        get {
            guard Int(reason.rawValue) < DecodeCounters.slotCount else { return 0 }
            return withUnsafeBytes(of: slots) { raw in
                raw.load(fromByteOffset: Int(reason.rawValue) &* 8, as: UInt64.self)
            }
        }
        set {
            guard Int(reason.rawValue) < DecodeCounters.slotCount else { return }
            withUnsafeMutableBytes(of: &slots) { raw in
                raw.storeBytes(of: newValue, toByteOffset: Int(reason.rawValue) &* 8, as: UInt64.self)
            }
        }
    }

    /// Non-IP packets ("other" EtherTypes).
    public var other: UInt64 { self[.unsupportedEtherType] }

    /// All malformed packets, whatever the reason.
    public var malformed: UInt64 {
        DecodeError.allCases.reduce(0) { $0 &+ ($1.isMalformation ? self[$1] : 0) }
    }

    mutating func record(_ reason: DecodeError) {
        self[reason] &+= 1
    }

    public static func == (lhs: DecodeCounters, rhs: DecodeCounters) -> Bool {
        lhs.packets == rhs.packets && lhs.decoded == rhs.decoded && lhs.ipv4 == rhs.ipv4
            && lhs.ipv6 == rhs.ipv6 && lhs.tcp == rhs.tcp && lhs.udp == rhs.udp && lhs.icmp == rhs.icmp
            && lhs.fragments == rhs.fragments && lhs.vlanTagged == rhs.vlanTagged
            && lhs.tunnelsDecapsulated == rhs.tunnelsDecapsulated
            && lhs.ipv4ChecksumErrors == rhs.ipv4ChecksumErrors && lhs.tcpOptionErrors == rhs.tcpOptionErrors
            && DecodeError.allCases.allSatisfy { lhs[$0] == rhs[$0] }
    }
}
