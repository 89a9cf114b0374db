/// One packet from `CaptureFileReader.next()`. `bytes` points into the
/// reader's buffer and is valid only until the next call.
public struct CapturedPacket {
    /// Nanoseconds since the epoch (0 for Simple Packet Blocks, which have none).
    public var timestamp: UInt64
    /// Index of the interface in the current pcapng section (0 for pcap).
    public var interfaceIndex: Int
    public var linkType: UInt16
    public var capturedLength: Int
    public var originalLength: UInt32
    /// From epb_flags / pack_flags; nil when the block has none.
    public var direction: PacketDirection?
    /// From epb_queue; nil when absent.
    public var queue: UInt32?
    public var bytes: UnsafeRawBufferPointer
}

/// An interface as the file describes it (pcapng IDB; for pcap, the header).
public struct CaptureInterface: Sendable, Equatable {
    public var linkType: UInt16
    public var snapLength: UInt32
    public var name: String?
    public var description: String?
    /// Timestamp ticks per second (if_tsresol), e.g. 1_000_000_000.
    public var timestampUnitsPerSecond: UInt64 { resolution.unitsPerSecond }
    /// if_tsoffset in seconds.
    public var timestampOffsetSeconds: Int64
    /// The most recent Interface Statistics Block for this interface, times in ns.
    public var statistics: InterfaceStatistics?
    public var statisticsTimestamp: UInt64?

    var resolution: TimestampResolution

    init(linkType: UInt16, snapLength: UInt32, resolution: TimestampResolution) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.resolution = resolution
        timestampOffsetSeconds = 0
    }

    @inline(__always)
    func nanoseconds(_ ticks: UInt64) -> UInt64 {
        resolution.nanoseconds(ticks, offsetSeconds: timestampOffsetSeconds)
    }
}
