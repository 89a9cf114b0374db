/// A bounds-known byte range read in a file's byte order (pcap and each
/// pcapng section declare their own). Callers check offsets against `count`
/// before loading; loads are unaligned-safe.
struct OrderedBytes {
    let base: UnsafeRawPointer
    let count: Int
    let bigEndian: Bool

    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        let raw = base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }

    @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        let raw = base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        let raw = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)
    }

    /// High word first, as EPB headers and isb_starttime/endtime store it.
    @inline(__always)
    func timestamp(_ offset: Int) -> UInt64 { UInt64(u32(offset)) << 32 | UInt64(u32(offset + 4)) }

    func bytes(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + offset, count: length)
    }

    func string(_ offset: Int, _ length: Int) -> String {
        // Writers may include a terminating NUL; it is not part of the text.
        String(decoding: bytes(offset, length).prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Walks pcapng options from `offset` to the end of the block body
    /// (before the trailing length). Returns false on an option that overruns
    /// the block; stops quietly at opt_endofopt.
    @inline(__always)
    func forEachOption(from offset: Int, _ body: (_ code: UInt16, _ valueOffset: Int, _ length: Int) -> Void) -> Bool {
        var at = offset
        let end = count - 4
        while at + 4 <= end {
            let code = u16(at), length = Int(u16(at + 2))
            if code == PcapngOption.endOfOptions { return true }
            guard at + 4 + length <= end else { return false }
            body(code, at + 4, length)
            at += 4 + alignedTo4(length)
        }
        return true
    }
}
