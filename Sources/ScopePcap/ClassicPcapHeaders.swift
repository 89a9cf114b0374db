/// Classic libpcap file header, always the nanosecond variant (magic
/// 0xa1b23c4d) because DPDK timestamps are nanoseconds.
public struct ClassicPcapFileHeader: Sendable, Equatable {
    public static let microsecondMagic: UInt32 = 0xA1B2_C3D4
    public static let nanosecondMagic: UInt32 = 0xA1B2_3C4D
    public static let encodedSize = 24

    public var snapLength: UInt32
    public var linkType: UInt32

    public init(snapLength: UInt32, linkType: UInt32 = UInt32(linkTypeEthernet)) {
        self.snapLength = snapLength
        self.linkType = linkType
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.encodedSize)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        put(Self.nanosecondMagic)
        put(UInt16(2))  // version 2.4
        put(UInt16(4))
        put(Int32(0))  // thiszone: timestamps are UTC
        put(UInt32(0))  // sigfigs
        put(snapLength)
        put(linkType)
        return bytes
    }
}

/// The 16-byte record header preceding each packet in a classic pcap file
/// (nanosecond flavour).
public struct PcapRecordHeader: Sendable, Equatable {
    public static let encodedSize = 16

    public var seconds: UInt32
    public var nanoseconds: UInt32
    public var capturedLength: UInt32
    public var originalLength: UInt32

    public init(seconds: UInt32, nanoseconds: UInt32, capturedLength: UInt32, originalLength: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.capturedLength = capturedLength
        self.originalLength = originalLength
    }

    /// From a nanosecond timestamp; seconds wrap in 2106 like every pcap writer.
    @inline(__always)
    public init(timestamp: UInt64, capturedLength: UInt32, originalLength: UInt32) {
        let (seconds, fraction) = timestamp.quotientAndRemainder(dividingBy: 1_000_000_000)
        self.init(seconds: UInt32(truncatingIfNeeded: seconds), nanoseconds: UInt32(truncatingIfNeeded: fraction),
                  capturedLength: capturedLength, originalLength: originalLength)
    }

    /// Writes the 16 bytes at `destination` (no alignment needed).
    @inline(__always)
    public func store(to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: seconds.littleEndian, as: UInt32.self)
        (destination + 4).storeBytes(of: nanoseconds.littleEndian, as: UInt32.self)
        (destination + 8).storeBytes(of: capturedLength.littleEndian, as: UInt32.self)
        (destination + 12).storeBytes(of: originalLength.littleEndian, as: UInt32.self)
    }

    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.encodedSize)
        bytes.withUnsafeMutableBytes { store(to: $0.baseAddress!) }
        return bytes
    }
}
