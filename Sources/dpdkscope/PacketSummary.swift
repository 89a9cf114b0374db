import ScopeDecode

/// One decoded packet as `read` prints it: a text line or a JSON object.
/// The text line is rendered straight into the output buffer: no String
/// per packet (with a line per packet, that was most of `read`'s time
/// outside the decoder).
enum PacketSummary {
    static func flagLetters(_ flags: TCPFlags) -> String {
        var letters: [UInt8] = []
        appendFlagLetters(flags, to: &letters)
        return String(decoding: letters, as: UTF8.self)
    }

    static func transportName(_ packet: DecodedPacket) -> String {
        var name: [UInt8] = []
        appendTransportName(packet, to: &name)
        return String(decoding: name, as: UTF8.self)
    }

    /// `2024-01-01T00:00:00.000000000Z TCP 10.0.0.1:40000 > 10.0.0.2:80 [S] seq=1 len=74`
    /// and so on, with its newline.
    static func appendLine(_ packet: DecodedPacket, timestamp: UInt64, failure: DecodeError?, to output: inout [UInt8]) {
        Timestamp.appendRFC3339(timestamp, to: &output)
        output.append(UInt8(ascii: " "))
        appendTransportName(packet, to: &output)
        if packet.network == .ipv4 || packet.network == .ipv6 {
            output.append(UInt8(ascii: " "))
            appendEndpoint(packet.source, packet.sourcePort, packet, to: &output)
            output += " > ".utf8
            appendEndpoint(packet.destination, packet.destinationPort, packet, to: &output)
        }
        switch packet.transport {
        case .tcp:
            output += " [".utf8
            appendFlagLetters(packet.tcp.flags, to: &output)
            output += "] seq=".utf8
            appendNumber(UInt64(packet.tcp.sequence), to: &output)
        case .icmpv4, .icmpv6:
            output += " type=".utf8
            appendNumber(UInt64(packet.icmp.type), to: &output)
            output += " code=".utf8
            appendNumber(UInt64(packet.icmp.code), to: &output)
        default: break
        }
        if packet.fragment.isFragment {
            output += " fragment offset=".utf8
            appendNumber(UInt64(packet.fragment.offset), to: &output)
        }
        output += " len=".utf8
        appendNumber(UInt64(packet.capturedLength), to: &output)
        if packet.payloadLength > 0 {
            output += " payload=".utf8
            appendNumber(UInt64(packet.payloadLength), to: &output)
        }
        if let failure, failure.isMalformation {
            output += " malformed=".utf8
            output += errorNames[Int(failure.rawValue)]
        }
        output.append(0x0A)
    }

    /// Case names by raw value, spelled once ("truncatedIPv4", ...).
    static let errorNames: [[UInt8]] = {
        var names = [[UInt8]](repeating: [], count: Int(DecodeError.allCases.map(\.rawValue).max() ?? 0) + 1)
        for reason in DecodeError.allCases { names[Int(reason.rawValue)] = Array("\(reason)".utf8) }
        return names
    }()

    static func appendFlagLetters(_ flags: TCPFlags, to output: inout [UInt8]) {
        if flags.contains(.syn) { output.append(UInt8(ascii: "S")) }
        if flags.contains(.fin) { output.append(UInt8(ascii: "F")) }
        if flags.contains(.rst) { output.append(UInt8(ascii: "R")) }
        if flags.contains(.psh) { output.append(UInt8(ascii: "P")) }
        if flags.contains(.ack) { output.append(UInt8(ascii: ".")) }
        if flags.contains(.urg) { output.append(UInt8(ascii: "U")) }
    }

    static func appendTransportName(_ packet: DecodedPacket, to output: inout [UInt8]) {
        switch packet.transport {
        case .tcp: output += "TCP".utf8
        case .udp: output += "UDP".utf8
        case .icmpv4: output += "ICMP".utf8
        case .icmpv6: output += "ICMPv6".utf8
        default:
            switch packet.network {
            case .ipv4, .ipv6:
                output += "IP proto ".utf8
                appendNumber(UInt64(packet.ipProtocol), to: &output)
            case .other:
                output += "ethertype 0x".utf8
                appendHex(packet.etherType, to: &output)
            case .none: output += "non-IP".utf8
            }
        }
    }

    /// `addr:port`, `[v6]:port`, or the bare address without ports.
    static func appendEndpoint(_ address: IPAddress, _ port: UInt16, _ packet: DecodedPacket, to output: inout [UInt8]) {
        guard packet.transport == .tcp || packet.transport == .udp else {
            address.appendText(to: &output)
            return
        }
        let bracketed = address.family == .ipv6
        if bracketed { output.append(UInt8(ascii: "[")) }
        address.appendText(to: &output)
        output += (bracketed ? "]:" : ":").utf8
        appendNumber(UInt64(port), to: &output)
    }

    static func appendNumber(_ value: UInt64, to output: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor &*= 10 }
        while divisor > 0 {
            output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / divisor % 10))
            divisor /= 10
        }
    }

    /// Lowercase, no leading zeros (as String(_:radix: 16)).
    static func appendHex(_ value: UInt16, to output: inout [UInt8]) {
        var shift = 12
        while shift > 0 && value >> UInt16(shift) == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xF
            output.append(nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ nibble &- 10)
            shift -= 4
        }
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
