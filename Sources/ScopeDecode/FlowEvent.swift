/// TCP handshake and teardown seen on a flow, relative to its initiator.
public struct TCPConnectionState: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let syn = TCPConnectionState(rawValue: 0x01)
    public static let synAck = TCPConnectionState(rawValue: 0x02)
    public static let finFromSource = TCPConnectionState(rawValue: 0x04)
    public static let finFromDestination = TCPConnectionState(rawValue: 0x08)
    public static let rst = TCPConnectionState(rawValue: 0x10)
}

/// One flow report, Packetbeat style: cumulative counters per direction,
/// where "source" is the side that opened the flow. Plain values only.
public struct FlowEvent: Equatable, Sendable {
    public enum EndReason: UInt8, Sendable {
        /// Periodic report of a flow that is still open.
        case active
        /// TCP FIN seen from both sides.
        case closed
        case reset
        case idleTimeout
        /// Removed to make room while the table was full.
        case evicted
        /// Still open when the table was flushed (end of capture).
        case flushed
    }

    /// When the report was made (`@timestamp`).
    public var timestamp: UInt64
    public var flowID: UInt64
    public var isFinal: Bool
    public var endReason: EndReason
    public var start: UInt64
    public var end: UInt64
    public var source: IPAddress
    public var sourcePort: UInt16
    public var sourceBytes: UInt64
    public var sourcePackets: UInt64
    public var destination: IPAddress
    public var destinationPort: UInt16
    public var destinationBytes: UInt64
    public var destinationPackets: UInt64
    public var ipProtocol: UInt8
    /// Outer VLAN id; 0 means untagged.
    public var vlanID: UInt16
    public var communityID: SHA1Digest
    public var tcpState: TCPConnectionState

    public var duration: UInt64 { end >= start ? end - start : 0 }

    /// ECS `network.transport`: IANA keyword, or the protocol number.
    public var transportName: String {
        switch ipProtocol {
        case 1: return "icmp"
        case 6: return "tcp"
        case 17: return "udp"
        case 47: return "gre"
        case 50: return "esp"
        case 58: return "ipv6-icmp"
        case 132: return "sctp"
        default: return String(ipProtocol)
        }
    }

    public var communityIDString: String { CommunityID.string(communityID) }

    /// One human line, as `read --flows` and the agent's text stdout print it.
    public var line: String {
        let state = isFinal ? "final(\(endReason))" : "update"
        return "\(Timestamp.rfc3339(timestamp)) flow \(String(flowID, radix: 16)) \(transportName) \(source):\(sourcePort) > \(destination):\(destinationPort) \(state) packets=\(sourcePackets)/\(destinationPackets) bytes=\(sourceBytes)/\(destinationBytes) community_id=\(communityIDString)"
    }

    /// Ports mean something for TCP, UDP and SCTP only.
    var hasPorts: Bool { ipProtocol == 6 || ipProtocol == 17 || ipProtocol == 132 }

    /// Appends the event as one ECS JSON object (no trailing newline).
    public func appendJSON(to output: inout [UInt8]) {
        var json = JSONWriter(reservingCapacity: 0)
        swap(&json.output, &output)
        defer { swap(&json.output, &output) }
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64)
        func render(_ fill: (inout [UInt8]) -> Void) -> [UInt8] {
            scratch.removeAll(keepingCapacity: true)
            fill(&scratch)
            return scratch
        }

        json.beginObject()
        json.key("@timestamp")
        json.string(utf8: render { Timestamp.appendRFC3339(timestamp, to: &$0) })
        json.field("type", "flow")

        json.key("event")
        json.beginObject()
        json.field("kind", "event")
        json.key("category")
        json.beginArray(); json.string("network"); json.endArray()
        json.key("type")
        json.beginArray(); json.string("connection"); json.endArray()
        json.field("action", "network_flow")
        json.field("dataset", "flow")
        json.key("start")
        json.string(utf8: render { Timestamp.appendRFC3339(start, to: &$0) })
        json.key("end")
        json.string(utf8: render { Timestamp.appendRFC3339(end, to: &$0) })
        json.field("duration", duration)
        json.endObject()

        json.key("flow")
        json.beginObject()
        json.key("id")
        json.string(utf8: render { appendFlowID(flowID, to: &$0) })
        json.key("final")
        json.bool(isFinal)
        json.endObject()

        for (name, address, port, bytes, packets) in [
            ("source", source, sourcePort, sourceBytes, sourcePackets),
            ("destination", destination, destinationPort, destinationBytes, destinationPackets),
        ] {
            json.key(name)
            json.beginObject()
            json.key("ip")
            json.string(utf8: render { address.appendText(to: &$0) })
            if hasPorts { json.field("port", UInt64(port)) }
            json.field("bytes", bytes)
            json.field("packets", packets)
            json.endObject()
        }

        json.key("network")
        json.beginObject()
        json.field("transport", transportName)
        json.field("type", source.family == .ipv4 ? "ipv4" : "ipv6")
        json.key("community_id")
        json.string(utf8: render { CommunityID.append(communityID, to: &$0) })
        json.field("bytes", sourceBytes &+ destinationBytes)
        json.field("packets", sourcePackets &+ destinationPackets)
        if vlanID != 0 {
            // ECS keeps VLAN ids as keywords under network.vlan.
            json.key("vlan")
            json.beginObject()
            json.field("id", String(vlanID))
            json.endObject()
        }
        json.endObject()
        json.endObject()
    }

    public var json: String {
        var output: [UInt8] = []
        appendJSON(to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}

/// Flow ids render as 16 lowercase hex digits.
func appendFlowID(_ id: UInt64, to output: inout [UInt8]) {
    for shift in stride(from: 60, through: 0, by: -4) {
        output.append(Hex.digit(UInt8((id >> UInt64(shift)) & 0xF)))
    }
}
