/// Big-endian field access over a packet buffer.
///
/// Every read is split in two: `has(_:_:end:)` checks the bounds with arithmetic
/// that cannot overflow, and the `u8`/`u16`/`u32`/`u64` loads assume the caller
/// already did so. Parsers check once per header and then read fields freely,
/// which keeps the hot path to one comparison per header instead of per field.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    @inline(__always)
    var count: Int { bytes.count }

    /// True when `length` bytes starting at `offset` lie inside `0..<end`
    /// (and `end` itself lies inside the buffer). Written as subtraction so
    /// hostile lengths cannot overflow.
    @inline(__always)
    func has(_ offset: Int, _ length: Int, end: Int) -> Bool {
        end <= bytes.count && offset >= 0 && length >= 0 && offset <= end && length <= end &- offset
    }

    @inline(__always)
    func u8(_ offset: Int) -> UInt8 {
        bytes.loadUnaligned(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// 48-bit MAC address in the low bits of a UInt64.
    @inline(__always)
    func mac(_ offset: Int) -> UInt64 {
        (UInt64(u16(offset)) << 32) | UInt64(u32(offset &+ 2))
    }

    /// One's-complement sum (RFC 1071) folded to 16 bits. A header whose
    /// checksum field is correct sums to 0xFFFF. The caller has checked bounds.
    func onesComplementSum(_ offset: Int, _ length: Int) -> UInt16 {
        var sum: UInt32 = 0
        var index = offset
        let pairsEnd = offset &+ (length & ~1)
        while index < pairsEnd {
            sum &+= UInt32(u16(index))
            index &+= 2
        }
        if length & 1 == 1 {
            sum &+= UInt32(u8(index)) << 8
        }
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) &+ (sum >> 16)
        }
        return UInt16(truncatingIfNeeded: sum)
    }
}
