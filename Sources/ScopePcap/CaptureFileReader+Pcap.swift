import ScopeCore

/// Classic libpcap: a 24-byte file header, then 16-byte record headers.
extension CaptureFileReader {
    func readPcapHeader(nanosecond: Bool, bigEndian: Bool) throws {
        guard try source.fill(ClassicPcapFileHeader.encodedSize) else {
            throw ScopeError(.failure, "\(path): pcap file header is truncated")
        }
        let header = OrderedBytes(base: source.pointer, count: ClassicPcapFileHeader.encodedSize, bigEndian: bigEndian)
        // Link type is the low 16 bits; the upper bits of the field carry FCS info.
        interfaces = [CaptureInterface(linkType: UInt16(truncatingIfNeeded: header.u32(20)), snapLength: header.u32(16),
                                       resolution: nanosecond ? .nanoseconds : .microseconds)]
        self.bigEndian = bigEndian
        sectionCount = 1
        source.consume(ClassicPcapFileHeader.encodedSize)
    }

    func nextPcapPacket() throws -> CapturedPacket? {
        let size = PcapRecordHeader.encodedSize
        guard try source.fill(size) else { return endOfInput() }
        let record = OrderedBytes(base: source.pointer, count: size, bigEndian: bigEndian)
        let captured = Int(record.u32(8))
        guard captured <= maximumBlockLength else {
            throw corrupt("record of \(captured) bytes exceeds the \(maximumBlockLength)-byte limit", at: source.offset)
        }
        guard try source.fill(size + captured) else { return endOfInput() }
        let whole = OrderedBytes(base: source.pointer, count: size + captured, bigEndian: bigEndian)
        let interface = interfaces[0]
        // Seconds * 1e9 + fraction stays below 2^64 for any 32-bit inputs.
        let fraction = UInt64(whole.u32(4)) &* (interface.timestampUnitsPerSecond == 1_000_000 ? 1000 : 1)
        let packet = CapturedPacket(
            timestamp: UInt64(whole.u32(0)) &* 1_000_000_000 &+ fraction,
            interfaceIndex: 0, linkType: interface.linkType,
            capturedLength: captured, originalLength: whole.u32(12),
            direction: nil, queue: nil, bytes: whole.bytes(size, captured))
        source.consume(size + captured)
        return packet
    }
}
