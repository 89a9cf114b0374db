/// Merges capture files that worker lcores wrote (`capture --multi
/// --merge`) into one writer, in timestamp order: a k-way merge over
/// CaptureFileReaders, where k is the number of workers (small).
public enum CaptureFileMerger {
    /// - Parameter interfaceMaps: per input file, its interface index → the
    ///   output file's interface index.
    /// - Returns: packets merged.
    @discardableResult
    public static func merge(_ paths: [String], interfaceMaps: [[UInt32]], into writer: CaptureFileWriter) throws -> UInt64 {
        let readers = try paths.map { try CaptureFileReader(path: $0) }
        var heads: [CapturedPacket?] = try readers.map { try $0.next() }
        var scratch = [UInt8]()
        var merged: UInt64 = 0
        while true {
            var earliest: Int?
            for (index, head) in heads.enumerated() {
                guard let head else { continue }
                if let best = earliest, let current = heads[best], current.timestamp <= head.timestamp { continue }
                earliest = index
            }
            guard let index = earliest, let packet = heads[index] else { return merged }
            let map = interfaceMaps[index]
            let interface = packet.interfaceIndex < map.count ? map[packet.interfaceIndex] : 0
            encode(packet, into: &scratch)
            try scratch.withUnsafeMutableBytes { block in
                try writer.append(block, interface: interface)
            }
            // A block too large to be copied is still referenced: write it
            // before the scratch buffer is reused.
            if writer.holdsCallerMemory { try writer.flush() }
            merged += 1
            heads[index] = try readers[index].next()
        }
    }

    /// An Enhanced Packet Block laid out as DPDK builds them (flags and queue
    /// options when known), so the writer treats it like a captured one.
    static func encode(_ packet: CapturedPacket, into block: inout [UInt8]) {
        let padded = (packet.capturedLength + 3) & ~3
        var options: [(code: UInt16, value: UInt32)] = []
        if let direction = packet.direction { options.append((PcapngOption.epbFlags, UInt32(direction.rawValue))) }
        if let queue = packet.queue { options.append((PcapngOption.epbQueue, queue)) }
        let total = 28 + padded + options.count * 8 + 4
        block.removeAll(keepingCapacity: true)
        block.reserveCapacity(total)
        func word(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { block += $0 } }
        word(PcapngBlockType.enhancedPacket)
        word(UInt32(total))
        word(0) // interface: set by the writer
        word(UInt32(truncatingIfNeeded: packet.timestamp >> 32))
        word(UInt32(truncatingIfNeeded: packet.timestamp))
        word(UInt32(packet.capturedLength))
        word(packet.originalLength)
        block += packet.bytes
        block += [UInt8](repeating: 0, count: padded - packet.capturedLength)
        for option in options {
            withUnsafeBytes(of: option.code.littleEndian) { block += $0 }
            withUnsafeBytes(of: UInt16(4).littleEndian) { block += $0 }
            word(option.value)
        }
        word(UInt32(total))
    }
}
