/// Builds pcapng and pcap files by hand in either byte order, for reader
/// tests the writer cannot produce (big-endian sections, other resolutions,
/// obsolete and unusual blocks). Independent of the module's encoders.
struct PcapngTestFile {
    var bytes: [UInt8] = []
    var bigEndian = false

    func encode<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian) { Array($0) }
    }

    func option(_ code: UInt16, _ value: [UInt8]) -> [UInt8] {
        encode(code) + encode(UInt16(value.count)) + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
    }

    func option(_ code: UInt16, string: String) -> [UInt8] { option(code, Array(string.utf8)) }

    mutating func block(_ type: UInt32, _ body: [UInt8]) {
        precondition(body.count % 4 == 0)
        let length = UInt32(body.count + 12)
        bytes += encode(type) + encode(length) + body + encode(length)
    }

    mutating func section(bigEndian: Bool, options: [UInt8] = []) {
        self.bigEndian = bigEndian
        block(0x0A0D_0D0A, encode(UInt32(0x1A2B_3C4D)) + encode(UInt16(1)) + encode(UInt16(0)) + encode(Int64(-1))
            + options + (options.isEmpty ? [] : [0, 0, 0, 0]))
    }

    mutating func interface(linkType: UInt16, snapLength: UInt32 = 0, options: [UInt8] = []) {
        block(1, encode(linkType) + encode(UInt16(0)) + encode(snapLength) + options + (options.isEmpty ? [] : [0, 0, 0, 0]))
    }

    mutating func enhancedPacket(interface: UInt32, ticks: UInt64, data: [UInt8], originalLength: UInt32? = nil, options: [UInt8] = []) {
        block(6, encode(interface) + encode(UInt32(ticks >> 32)) + encode(UInt32(truncatingIfNeeded: ticks))
            + encode(UInt32(data.count)) + encode(originalLength ?? UInt32(data.count)) + padded(data) + options)
    }

    mutating func obsoletePacket(interface: UInt16, ticks: UInt64, data: [UInt8], options: [UInt8] = []) {
        block(2, encode(interface) + encode(UInt16(0)) + encode(UInt32(ticks >> 32)) + encode(UInt32(truncatingIfNeeded: ticks))
            + encode(UInt32(data.count)) + encode(UInt32(data.count)) + padded(data) + options)
    }

    mutating func simplePacket(data: [UInt8], originalLength: UInt32) {
        block(3, encode(originalLength) + padded(data))
    }

    func padded(_ data: [UInt8]) -> [UInt8] { data + [UInt8](repeating: 0, count: (4 - data.count % 4) % 4) }

    /// Classic pcap header + records; `nanosecond` picks the magic.
    static func classicPcap(bigEndian: Bool, nanosecond: Bool, linkType: UInt32, snapLength: UInt32,
                            records: [(seconds: UInt32, fraction: UInt32, data: [UInt8])]) -> [UInt8] {
        let file = PcapngTestFile(bigEndian: bigEndian)
        var bytes = file.encode(nanosecond ? UInt32(0xA1B2_3C4D) : 0xA1B2_C3D4) + file.encode(UInt16(2)) + file.encode(UInt16(4))
            + file.encode(Int32(0)) + file.encode(UInt32(0)) + file.encode(snapLength) + file.encode(linkType)
        for record in records {
            bytes += file.encode(record.seconds) + file.encode(record.fraction) + file.encode(UInt32(record.data.count))
                + file.encode(UInt32(record.data.count)) + record.data
        }
        return bytes
    }
}
