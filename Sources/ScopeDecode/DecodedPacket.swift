/// What the first byte of a buffer handed to the decoder is: the link
/// layers capture files carry (see `init(pcapLinkType:)`). Raw values are
/// stable: the fuzz corpus picks a link type by them.
public enum LinkType: UInt8, Sendable, CaseIterable {
    case ethernet
    /// An IP datagram; the version nibble picks IPv4 or IPv6. Used for
    /// datagrams coming out of `FragmentReassembler`.
    case rawIP
    /// An IPv4 datagram, whatever its version nibble says.
    case ipv4
    /// An IPv6 datagram, whatever its version nibble says.
    case ipv6
    /// Linux cooked capture v1 (`tcpdump -i any`): 16-byte header, EtherType last.
    case linuxSLL
    /// Linux cooked capture v2: 20-byte header, EtherType first.
    case linuxSLL2
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    case null
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    case loop
    /// PPP, with or without HDLC-like framing (0xFF 0x03).
    case ppp
    /// A PPPoE session header, then PPP (no Ethernet header).
    case pppoe
    /// Cisco HDLC: address, control, then an EtherType.
    case ciscoHDLC
}

public enum NetworkLayer: UInt8, Sendable {
    case none
    case ipv4
    case ipv6
    /// An EtherType the decoder does not parse (ARP, LLDP, ...).
    case other
}

public enum TransportLayer: UInt8, Sendable {
    case none
    case tcp
    case udp
    case icmpv4
    case icmpv6
    /// GRE that was not decapsulated (unknown payload type, version 1, routing).
    case gre
    /// Any other IP protocol, or ESP / "no next header"; `ipProtocol` says which.
    case other
}

public struct TCPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

/// TCP options the flow and stream layers care about. Absent options are nil.
public struct TCPOptions: Equatable, Sendable {
    public var maximumSegmentSize: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted = false
    /// Number of SACK blocks in a SACK option (0 when absent).
    public var sackBlockCount: UInt8 = 0
    public var timestampValue: UInt32?
    public var timestampEchoReply: UInt32?
    /// An option ran past the header or had an impossible length; parsing
    /// stopped there but the segment itself is still decoded.
    public var malformed = false

    public init() {}
}

public struct TCPHeader: Equatable, Sendable {
    public var sequence: UInt32 = 0
    public var acknowledgment: UInt32 = 0
    public var flags = TCPFlags()
    public var window: UInt16 = 0
    public var urgentPointer: UInt16 = 0
    /// Header length in bytes (data offset × 4).
    public var headerLength = 0
    public var options = TCPOptions()

    public init() {}
}

public struct ICMPHeader: Equatable, Sendable {
    public var type: UInt8 = 0
    public var code: UInt8 = 0
    /// Identifier and sequence, present for echo request/reply only.
    public var echoIdentifier: UInt16?
    public var echoSequence: UInt16?

    public init() {}
}

/// IP fragmentation state of the innermost IP layer.
public struct FragmentInfo: Equatable, Sendable {
    /// True for a real fragment (offset > 0 or more-fragments set). An IPv6
    /// "atomic fragment" (offset 0, M clear) is decoded as a whole datagram.
    public var isFragment = false
    /// IPv4 identification (16 bits) or IPv6 fragment identification.
    public var identification: UInt32 = 0
    /// Offset of this fragment's data within the original datagram, in bytes.
    public var offset = 0
    public var moreFragments = false
    /// Buffer offset where this fragment's data starts and its length.
    public var dataOffset = 0
    public var dataLength = 0
    /// IPv6: protocol of the fragmentable part (the fragment header's next header).
    public var nextHeader: UInt8 = 0
    /// IPv6: buffer offset of the fragment header, and of the next-header byte
    /// that pointed at it (reassembly patches that byte).
    public var fragmentHeaderOffset = 0
    public var nextHeaderFieldOffset = 0

    public init() {}
}

public enum TunnelKind: UInt8, Sendable {
    case gre
    case vxlan
}

/// One decapsulated tunnel: where it sat and what it carried.
public struct TunnelLayer: Equatable, Sendable {
    public var kind = TunnelKind.gre
    public var outerSource = IPAddress.zero
    public var outerDestination = IPAddress.zero
    public var outerNetworkOffset = 0
    /// Offset of the GRE or VXLAN header.
    public var headerOffset = 0
    /// GRE protocol type (0x0800, 0x86DD, 0x6558); 0x6558 for VXLAN.
    public var protocolType: UInt16 = 0
    public var greKey: UInt32?
    public var greSequence: UInt32?
    public var greChecksumPresent = false
    /// VXLAN network identifier (24 bits).
    public var vni: UInt32 = 0

    public init() {}
}

/// Everything decoded from one packet, as plain values: copying it never
/// touches the heap. Offsets index into the buffer that was decoded and are
/// meaningful only when the matching layer kind is not `.none`. After
/// decapsulation the layer fields describe the innermost packet; outer
/// layers are kept in `tunnels`.
public struct DecodedPacket: Sendable {
    public var linkType = LinkType.ethernet
    /// Bytes in the decoded buffer.
    public var capturedLength = 0

    // Ethernet (innermost). VLAN ids come from the outermost Ethernet header:
    // they describe the wire the packet was captured on.
    public var ethernetOffset = 0
    public var destinationMAC: UInt64 = 0
    public var sourceMAC: UInt64 = 0
    /// EtherType after VLAN tags (innermost Ethernet). On other links, the
    /// protocol field they carry (an EtherType for Linux cooked and Cisco
    /// HDLC, the PPP protocol, the BSD address family), so a non-IP packet
    /// still says what it was.
    public var etherType: UInt16 = 0
    /// Number of VLAN tags on the outer Ethernet header (may exceed 2).
    public var vlanCount = 0
    /// First (outer) and second (inner) VLAN ids; 0 when absent.
    public var vlanIDs: (outer: UInt16, inner: UInt16) = (0, 0)

    // IP (innermost).
    public var network = NetworkLayer.none
    public var networkOffset = 0
    /// End of the IP datagram in the buffer (excludes Ethernet padding).
    public var networkEnd = 0
    public var source = IPAddress.zero
    public var destination = IPAddress.zero
    /// Protocol after IPv6 extension headers (or the IPv4 protocol field).
    public var ipProtocol: UInt8 = 0
    /// IPv4 TTL / IPv6 hop limit.
    public var hopLimit: UInt8 = 0
    /// IPv4 type of service / IPv6 traffic class.
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0
    /// False when an IPv4 header checksum did not verify (counted, not dropped).
    public var ipv4ChecksumValid = true
    public var fragment = FragmentInfo()

    // Transport (innermost).
    public var transport = TransportLayer.none
    public var transportOffset = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var tcp = TCPHeader()
    public var icmp = ICMPHeader()
    public var payloadOffset = 0
    public var payloadLength = 0

    // Tunnels, outermost first.
    public var tunnelDepth = 0
    public var tunnels: (TunnelLayer, TunnelLayer) = (TunnelLayer(), TunnelLayer())

    public init() {}

    /// The tunnel at `index` (0 = outermost), or nil past `tunnelDepth`.
    public func tunnel(at index: Int) -> TunnelLayer? {
        guard index >= 0 && index < tunnelDepth else { return nil }
        return index == 0 ? tunnels.0 : tunnels.1
    }

    /// Length of the innermost IP datagram (header + payload), 0 without IP.
    public var ipLength: Int {
        network == .ipv4 || network == .ipv6 ? networkEnd - networkOffset : 0
    }
}
