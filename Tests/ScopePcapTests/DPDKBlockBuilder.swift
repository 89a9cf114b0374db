import ScopePcap

/// Builds EPB bytes exactly as DPDK 22.11's rte_pcapng_copy lays them out in
/// an mbuf: header with the interface id left as whatever the headroom held,
/// data padded to 4 with zeros, epb_flags (code 2, 4 bytes), epb_queue
/// (code 6, 4 bytes), epb_hash (code 3, 5 bytes: Toeplitz + RSS, padded to 8)
/// for inbound RSS-hashed packets, no opt_endofopt, trailing block length.
enum DPDKBlockBuilder {
    static let unsetInterfaceID: UInt32 = 0xDEAD_BEEF

    static func enhancedPacketBlock(packet: [UInt8], originalLength: UInt32? = nil, timestamp: UInt64,
                                    direction: PacketDirection, queue: UInt32, rssHash: UInt32? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        let padded = (packet.count + 3) & ~3
        let hashOption = rssHash == nil ? 0 : 12
        let total = UInt32(28 + padded + 8 + 8 + hashOption + 4)
        put32(6)
        put32(total)
        put32(unsetInterfaceID)
        put32(UInt32(truncatingIfNeeded: timestamp >> 32))
        put32(UInt32(truncatingIfNeeded: timestamp))
        put32(UInt32(packet.count))
        put32(originalLength ?? UInt32(packet.count))
        bytes += packet
        bytes += [UInt8](repeating: 0, count: padded - packet.count)
        put16(2); put16(4); put32(UInt32(direction.rawValue))
        put16(6); put16(4); put32(queue)
        if let rssHash {
            put16(3); put16(5)
            bytes.append(5)  // PCAPNG_HASH_TOEPLITZ
            put32(rssHash)
            bytes += [0, 0, 0]
        }
        put32(total)
        return bytes
    }

    /// An Ethernet/IPv4/UDP frame of `length` bytes (≥ 42) whose payload
    /// encodes `seed`, so packets are distinguishable.
    static func udpFrame(length: Int, seed: UInt8) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]
        let ipLength = UInt16(length - 14)
        frame += [0x45, 0, UInt8(ipLength >> 8), UInt8(ipLength & 0xFF), 0, 1, 0, 0, 64, 17, 0, 0,
                  10, 0, 0, 1, 10, 0, 0, 2]
        let udpLength = UInt16(length - 34)
        frame += [0x30, 0x39, 0x00, 0x35, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
        while frame.count < length { frame.append(seed &+ UInt8(truncatingIfNeeded: frame.count)) }
        return frame
    }
}
