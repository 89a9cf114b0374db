/// Why a buffer handed to us is not an EPB as rte_pcapng_copy builds it.
/// A plain enum so typed throws carry it without allocating.
public enum EnhancedPacketBlockError: Error, Sendable, Equatable {
    case tooShort(Int)
    case notEnhancedPacketBlock(blockType: UInt32)
    case lengthMismatch(header: UInt32, buffer: Int)
    case lengthNotMultipleOf4(UInt32)
    case trailerMismatch(header: UInt32, trailer: UInt32)
    case capturedLengthTooLarge(captured: UInt32, blockLength: UInt32)

    public var message: String {
        switch self {
        case .tooShort(let n): "packet block of \(n) bytes is shorter than the 32-byte minimum"
        case .notEnhancedPacketBlock(let t): "block type \(t) is not an Enhanced Packet Block (6)"
        case .lengthMismatch(let h, let b): "block length \(h) does not match the \(b) bytes received"
        case .lengthNotMultipleOf4(let h): "block length \(h) is not a multiple of 4"
        case .trailerMismatch(let h, let t): "trailing block length \(t) differs from header length \(h)"
        case .capturedLengthTooLarge(let c, let l): "captured length \(c) does not fit in a \(l)-byte block"
        }
    }
}

/// PCAPNG_IFB_INBOUND / _OUTBOUND in the low two bits of epb_flags.
public enum PacketDirection: UInt8, Sendable {
    case unknown = 0, inbound = 1, outbound = 2

    init(flags: UInt32) { self = PacketDirection(rawValue: UInt8(flags & 3)) ?? .unknown }
}

/// A view over one contiguous Enhanced Packet Block as the primary's
/// rte_pcapng_copy lays it out in our mbuf: 28-byte header with the interface
/// id left unset, packet data padded to 4 bytes, epb_flags, epb_queue,
/// optional epb_hash, no opt_endofopt, trailing length. Native (little-endian)
/// byte order, because the primary wrote it on this host. Holds no memory of
/// its own: the mbuf must outlive it.
public struct EnhancedPacketBlock {
    public static let headerSize = 28
    public static let minimumSize = 32

    public let base: UnsafeMutableRawPointer
    public let blockLength: Int

    /// Validates type, both length words, alignment and that the captured
    /// bytes fit. Cheap: four loads and a few compares.
    @inline(__always)
    public init(validating block: UnsafeMutableRawBufferPointer) throws(EnhancedPacketBlockError) {
        guard block.count >= Self.minimumSize, let base = block.baseAddress else { throw .tooShort(block.count) }
        let trailer = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: block.count - 4, as: UInt32.self))
        try Self.validateHeader(base, totalLength: block.count, trailer: trailer)
        self.base = base
        self.blockLength = block.count
    }

    /// For a header already validated by `validateHeader`.
    @inline(__always)
    init(unchecked base: UnsafeMutableRawPointer, blockLength: Int) {
        self.base = base
        self.blockLength = blockLength
    }

    /// Shared with the writer's multi-segment path, where the header sits in
    /// the first mbuf segment and the trailer in the last.
    @inline(__always)
    static func validateHeader(_ base: UnsafeRawPointer, totalLength: Int, trailer: UInt32) throws(EnhancedPacketBlockError) {
        let type = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
        guard type == PcapngBlockType.enhancedPacket else { throw .notEnhancedPacketBlock(blockType: type) }
        let length = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard Int(length) == totalLength else { throw .lengthMismatch(header: length, buffer: totalLength) }
        guard length & 3 == 0 else { throw .lengthNotMultipleOf4(length) }
        guard trailer == length else { throw .trailerMismatch(header: length, trailer: trailer) }
        let captured = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
        guard captured <= length &- UInt32(minimumSize) else { throw .capturedLengthTooLarge(captured: captured, blockLength: length) }
    }

    @inline(__always)
    private func word(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Left unset by rte_pcapng_copy; the writer stores the file's interface index.
    public var interfaceID: UInt32 {
        @inline(__always) get { word(8) }
        @inline(__always) nonmutating set { (base + 8).storeBytes(of: newValue.littleEndian, as: UInt32.self) }
    }

    /// Nanoseconds since the epoch (CLOCK_REALTIME derived from the primary's TSC).
    public var timestamp: UInt64 { @inline(__always) get { UInt64(word(12)) << 32 | UInt64(word(16)) } }
    public var capturedLength: UInt32 { @inline(__always) get { word(20) } }
    public var originalLength: UInt32 { @inline(__always) get { word(24) } }

    public var packetBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + Self.headerSize, count: Int(capturedLength))
    }

    /// The classic pcap header for the same packet, so `-P` can write the
    /// header from a small slab and the data straight from the mbuf.
    @inline(__always)
    public func pcapRecordHeader() -> PcapRecordHeader {
        PcapRecordHeader(timestamp: timestamp, capturedLength: capturedLength, originalLength: originalLength)
    }

    /// Turns the block into a classic pcap record in place: the 16-byte
    /// record header overwrites the EPB's timestamp and length words (bytes
    /// 12..<28), directly in front of the packet data, so `-P` output is one
    /// zero-copy iovec per packet. Returns header + captured bytes. The view's
    /// timestamp and length accessors are meaningless afterwards.
    @inline(__always)
    public func rewriteAsPcapRecord() -> UnsafeRawBufferPointer {
        let header = pcapRecordHeader()
        let start = base + Self.headerSize - PcapRecordHeader.encodedSize
        header.store(to: start)
        return UnsafeRawBufferPointer(start: start, count: PcapRecordHeader.encodedSize + Int(header.capturedLength))
    }

    /// epb_flags, if present.
    public var flags: UInt32? { optionWord(PcapngOption.epbFlags) }
    public var direction: PacketDirection { flags.map(PacketDirection.init(flags:)) ?? .unknown }
    /// epb_queue (32-bit rx/tx queue id), if present.
    public var queue: UInt32? { optionWord(PcapngOption.epbQueue) }

    /// First 32-bit value of option `code`, walking the TLVs with bounds
    /// checks (a corrupt length ends the walk instead of reading past the block).
    func optionWord(_ code: UInt16) -> UInt32? {
        var offset = Self.headerSize + alignedTo4(Int(capturedLength))
        let end = blockLength - 4
        while offset + 4 <= end {
            let optionCode = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let length = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)))
            if optionCode == PcapngOption.endOfOptions { return nil }
            guard offset + 4 + length <= end else { return nil }
            if optionCode == code && length >= 4 { return word(offset + 4) }
            offset += 4 + alignedTo4(length)
        }
        return nil
    }
}
