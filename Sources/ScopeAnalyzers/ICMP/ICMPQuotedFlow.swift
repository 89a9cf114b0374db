import ScopeDecode

/// The flow an ICMP error is about: the IP header and first 8 bytes of the
/// offending datagram, which every error quotes (RFC 792, RFC 4443). For
/// TCP and UDP those 8 bytes hold the ports; for ICMP, type and code.
public struct ICMPQuotedFlow: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    public var ipProtocol: UInt8
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// A quoted echo request's identifier and sequence (to settle it).
    public var echoIdentifier: UInt16?
    public var echoSequence: UInt16?

    /// The quoted flow as endpoints (community id, transport name) when
    /// its protocol is one the analyzers name: TCP, UDP, ICMP.
    var endpoints: TransactionEndpoints? {
        let transport: TransactionTransport
        switch ipProtocol {
        case 6: transport = .tcp
        case 17: transport = .udp
        case 1, 58: transport = .icmp
        default: return nil
        }
        guard let sourcePort, let destinationPort else { return nil }
        return TransactionEndpoints(client: source, clientPort: sourcePort, server: destination,
                                    serverPort: destinationPort, transport: transport)
    }

    var transportName: String {
        switch ipProtocol {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "ipv6-icmp"
        case 132: "sctp"
        default: String(ipProtocol)
        }
    }

    /// Decodes the quoted datagram; nil when not even its IP header is there.
    init?(_ quoted: UnsafeRawBufferPointer) {
        guard let first = quoted.first else { return nil }
        var offset: Int
        switch first >> 4 {
        case 4:
            let headerLength = Int(first & 0x0F) &* 4
            guard headerLength >= 20, quoted.count >= 20 else { return nil }
            ipProtocol = quoted[9]
            source = IPAddress(ipv4: Self.be32(quoted, 12))
            destination = IPAddress(ipv4: Self.be32(quoted, 16))
            // A non-first fragment quotes no transport header.
            let fragmentOffset = (UInt16(quoted[6]) << 8 | UInt16(quoted[7])) & 0x1FFF
            offset = fragmentOffset == 0 ? headerLength : Int.max
        case 6:
            guard quoted.count >= 40 else { return nil }
            source = IPAddress(ipv6High: Self.be64(quoted, 8), low: Self.be64(quoted, 16))
            destination = IPAddress(ipv6High: Self.be64(quoted, 24), low: Self.be64(quoted, 32))
            var next = quoted[6]
            offset = 40
            // Hop-by-hop, routing, destination options, fragment: skip to the transport header.
            var hops = 0
            while next == 0 || next == 43 || next == 60 || next == 44, hops < 8, offset &+ 8 <= quoted.count {
                let header = next
                next = quoted[offset]
                if header == 44 {
                    let fragmentOffset = (UInt16(quoted[offset &+ 2]) << 8 | UInt16(quoted[offset &+ 3])) & 0xFFF8
                    offset &+= 8
                    if fragmentOffset != 0 {
                        offset = Int.max  // not the first fragment
                        break
                    }
                } else {
                    offset &+= (Int(quoted[offset &+ 1]) &+ 1) &* 8
                }
                hops &+= 1
            }
            ipProtocol = next
        default:
            return nil
        }
        guard offset <= quoted.count &- 4 else { return }
        switch ipProtocol {
        case 6, 17, 132:
            sourcePort = UInt16(quoted[offset]) << 8 | UInt16(quoted[offset &+ 1])
            destinationPort = UInt16(quoted[offset &+ 2]) << 8 | UInt16(quoted[offset &+ 3])
        case 1, 58:
            // The community-id convention for ICMP: type and code as ports.
            sourcePort = UInt16(quoted[offset])
            destinationPort = UInt16(quoted[offset &+ 1])
            if quoted[offset] == (ipProtocol == 1 ? 8 : 128), offset <= quoted.count &- 8 {
                echoIdentifier = UInt16(quoted[offset &+ 4]) << 8 | UInt16(quoted[offset &+ 5])
                echoSequence = UInt16(quoted[offset &+ 6]) << 8 | UInt16(quoted[offset &+ 7])
            }
        default:
            break
        }
    }

    private static func be32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at &+ 1]) << 16 | UInt32(bytes[at &+ 2]) << 8 | UInt32(bytes[at &+ 3])
    }

    private static func be64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(be32(bytes, at)) << 32 | UInt64(be32(bytes, at &+ 4))
    }
}
