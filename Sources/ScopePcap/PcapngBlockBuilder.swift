/// Builds one pcapng block as little-endian bytes: header words, TLV options
/// padded to 32 bits, opt_endofopt when any option was added, and the
/// trailing copy of the block length. Only for the rare header and statistics
/// blocks; packets never go through here.
struct PcapngBlockBuilder {
    private(set) var bytes: [UInt8] = []
    private var hasOptions = false

    init(type: UInt32) {
        bytes.reserveCapacity(128)
        append(type)
        append(UInt32(0))  // total length, patched by finish()
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func option(_ code: UInt16, bytes value: [UInt8]) {
        // An option length is 16 bits; longer values (a huge comment) are cut,
        // never allowed to trap.
        let value = value.count > Int(UInt16.max) ? Array(value.prefix(Int(UInt16.max))) : value
        append(code)
        append(UInt16(value.count))
        bytes.append(contentsOf: value)
        bytes.append(contentsOf: repeatElement(0, count: alignedTo4(value.count) - value.count))
        hasOptions = true
    }

    mutating func option(_ code: UInt16, string: String) {
        option(code, bytes: Self.utf8Prefix(string, maxBytes: Int(UInt16.max)))
    }

    mutating func option(_ code: UInt16, uint64 value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { option(code, bytes: Array($0)) }
    }

    /// pcapng timestamps in options (isb_starttime/endtime) are stored like the
    /// EPB header: high 32 bits first, then low 32 bits, each in section order.
    mutating func option(_ code: UInt16, timestamp: UInt64) {
        var value: [UInt8] = []
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: timestamp >> 32).littleEndian) { value.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: timestamp).littleEndian) { value.append(contentsOf: $0) }
        option(code, bytes: value)
    }

    consuming func finish() -> [UInt8] {
        if hasOptions {
            append(PcapngOption.endOfOptions)
            append(UInt16(0))
        }
        let total = UInt32(bytes.count + 4)
        append(total)
        withUnsafeBytes(of: total.littleEndian) { raw in
            for i in 0..<4 { bytes[4 + i] = raw[i] }
        }
        return bytes
    }

    /// The longest prefix of `string`'s UTF-8 that fits and does not split a
    /// scalar (a cut in the middle would make readers reject the string).
    static func utf8Prefix(_ string: String, maxBytes: Int) -> [UInt8] {
        var utf8 = Array(string.utf8)
        guard utf8.count > maxBytes else { return utf8 }
        var end = maxBytes
        while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
        utf8.removeSubrange(end...)
        return utf8
    }
}
