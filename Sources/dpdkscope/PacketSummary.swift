import ScopeDecode

/// One decoded packet as `read` prints it: a text line or a JSON object.
enum PacketSummary {
    static func flagLetters(_ flags: TCPFlags) -> String {
        let letters: [(TCPFlags, Character)] = [(.syn, "S"), (.fin, "F"), (.rst, "R"), (.psh, "P"), (.ack, "."), (.urg, "U")]
        return String(letters.compactMap { flags.contains($0.0) ? $0.1 : nil })
    }

    static func transportName(_ packet: DecodedPacket) -> String {
        switch packet.transport {
        case .tcp: "TCP"
        case .udp: "UDP"
        case .icmpv4: "ICMP"
        case .icmpv6: "ICMPv6"
        default:
            switch packet.network {
            case .ipv4, .ipv6: "IP proto \(packet.ipProtocol)"
            case .other: "ethertype 0x\(String(packet.etherType, radix: 16))"
            case .none: "non-IP"
            }
        }
    }

    static func endpoint(_ address: IPAddress, _ port: UInt16, _ packet: DecodedPacket) -> String {
        guard packet.transport == .tcp || packet.transport == .udp else { return address.description }
        return address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    static func line(_ packet: DecodedPacket, timestamp: UInt64, failure: DecodeError?) -> String {
        var text = Timestamp.rfc3339(timestamp) + " " + transportName(packet)
        if packet.network == .ipv4 || packet.network == .ipv6 {
            text += " \(endpoint(packet.source, packet.sourcePort, packet)) > \(endpoint(packet.destination, packet.destinationPort, packet))"
        }
        switch packet.transport {
        case .tcp: text += " [\(flagLetters(packet.tcp.flags))] seq=\(packet.tcp.sequence)"
        case .icmpv4, .icmpv6: text += " type=\(packet.icmp.type) code=\(packet.icmp.code)"
        default: break
        }
        if packet.fragment.isFragment { text += " fragment offset=\(packet.fragment.offset)" }
        text += " len=\(packet.capturedLength)"
        if packet.payloadLength > 0 { text += " payload=\(packet.payloadLength)" }
        if let failure, failure.isMalformation { text += " malformed=\(failure)" }
        return text
    }

    static func appendJSON(_ packet: DecodedPacket, timestamp: UInt64, failure: DecodeError?, to output: inout [UInt8]) {
        var json = JSONWriter(reservingCapacity: 256)
        json.beginObject()
        json.key("@timestamp")
        var stamp: [UInt8] = []
        Timestamp.appendRFC3339(timestamp, to: &stamp)
        json.string(utf8: stamp)
        json.field("type", "packet")
        json.field("network.transport", transportName(packet).lowercased())
        if packet.network == .ipv4 || packet.network == .ipv6 {
            json.field("network.type", packet.network == .ipv4 ? "ipv4" : "ipv6")
            json.field("source.ip", packet.source.description)
            json.field("destination.ip", packet.destination.description)
            if packet.transport == .tcp || packet.transport == .udp {
                json.field("source.port", UInt64(packet.sourcePort))
                json.field("destination.port", UInt64(packet.destinationPort))
            }
        }
        if packet.transport == .tcp { json.field("tcp.flags", flagLetters(packet.tcp.flags)) }
        if packet.vlanCount > 0 { json.field("network.vlan.id", UInt64(packet.vlanIDs.outer)) }
        json.field("packet.length", UInt64(packet.capturedLength))
        json.field("packet.payload_length", UInt64(packet.payloadLength))
        if let failure, failure.isMalformation { json.field("error.message", "\(failure)") }
        json.endObject()
        output += json.output
        output.append(0x0A)
    }
}
