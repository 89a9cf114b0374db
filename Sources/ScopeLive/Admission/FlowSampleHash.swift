/// A direction-independent hash of a frame's flow, cheap enough to run on
/// every packet the capture takes while analysis is shedding load: it reads
/// only the Ethernet, VLAN, IP and port fields, and decodes nothing else.
///
/// Both directions of a connection hash alike (the two endpoint hashes are
/// added, which commutes), so a sampled flow keeps its requests and its
/// responses. Fragments hash without ports: a later fragment carries none,
/// and a datagram's pieces must land in one bucket to be reassembled.
public enum FlowSampleHash {
    /// The frame's flow hash; frames that are not IP hash by their length
    /// and first bytes, which spreads them without trapping on any input.
    public static func hash(ethernetFrame frame: UnsafeRawBufferPointer) -> UInt32 {
        var offset = 12
        var etherType = readUInt16(frame, at: offset)
        // 802.1Q / 802.1ad tags, at most two (QinQ), as the decoder accepts.
        var tags = 0
        while (etherType == 0x8100 || etherType == 0x88A8), tags < 2 {
            offset += 4
            etherType = readUInt16(frame, at: offset)
            tags += 1
        }
        offset += 2
        switch etherType ?? 0 {
        case 0x0800: return ipv4(frame, at: offset)
        case 0x86DD: return ipv6(frame, at: offset)
        default: return finish(UInt32(truncatingIfNeeded: frame.count) &* 0x9E37_79B1 ^ UInt32(etherType ?? 0))
        }
    }

    private static func ipv4(_ frame: UnsafeRawBufferPointer, at start: Int) -> UInt32 {
        guard start + 20 <= frame.count else { return finish(UInt32(truncatingIfNeeded: frame.count)) }
        let headerLength = Int(frame[start] & 0x0F) * 4
        let proto = frame[start + 9]
        let fragment = (UInt16(frame[start + 6]) << 8 | UInt16(frame[start + 7])) & 0x3FFF != 0
        let source = mix(frame, from: start + 12, count: 4)
        let destination = mix(frame, from: start + 16, count: 4)
        let ports = fragment || headerLength < 20 ? nil : portsAt(frame, start + headerLength, proto: proto)
        return combine(source, destination, ports: ports, proto: proto)
    }

    private static func ipv6(_ frame: UnsafeRawBufferPointer, at start: Int) -> UInt32 {
        guard start + 40 <= frame.count else { return finish(UInt32(truncatingIfNeeded: frame.count)) }
        // Only a transport header right after the fixed header has its ports
        // read; extension headers (fragments among them) hash by address.
        let proto = frame[start + 6]
        let source = mix(frame, from: start + 8, count: 16)
        let destination = mix(frame, from: start + 24, count: 16)
        return combine(source, destination, ports: portsAt(frame, start + 40, proto: proto), proto: proto)
    }

    private static func portsAt(_ frame: UnsafeRawBufferPointer, _ offset: Int, proto: UInt8) -> (UInt16, UInt16)? {
        guard proto == 6 || proto == 17 || proto == 132, let source = readUInt16(frame, at: offset),
              let destination = readUInt16(frame, at: offset + 2) else { return nil }
        return (source, destination)
    }

    private static func combine(_ source: UInt32, _ destination: UInt32, ports: (UInt16, UInt16)?, proto: UInt8) -> UInt32 {
        let (sourcePort, destinationPort) = ports ?? (0, 0)
        let a = finish(source ^ UInt32(sourcePort) &* 0x85EB_CA6B)
        let b = finish(destination ^ UInt32(destinationPort) &* 0x85EB_CA6B)
        return finish(a &+ b ^ UInt32(proto))
    }

    /// Folds `count` bytes (4 or 16) four at a time.
    private static func mix(_ frame: UnsafeRawBufferPointer, from start: Int, count: Int) -> UInt32 {
        var value: UInt32 = 0x811C_9DC5
        var offset = start
        while offset + 4 <= start + count {
            let word = UInt32(frame[offset]) << 24 | UInt32(frame[offset + 1]) << 16
                | UInt32(frame[offset + 2]) << 8 | UInt32(frame[offset + 3])
            value = (value ^ word) &* 0x0100_0193 ^ (value >> 15)
            offset += 4
        }
        return value
    }

    private static func readUInt16(_ frame: UnsafeRawBufferPointer, at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= frame.count else { return nil }
        return UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
    }

    /// murmur3's finaliser: every input bit reaches every output bit.
    private static func finish(_ value: UInt32) -> UInt32 {
        var h = value
        h ^= h >> 16
        h &*= 0x85EB_CA6B
        h ^= h >> 13
        h &*= 0xC2B2_AE35
        h ^= h >> 16
        return h
    }
}
