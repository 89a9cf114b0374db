/// An IPv4 or IPv6 address as plain integers, so packets and flow keys that
/// hold addresses stay trivially copyable (no heap, no reference counting).
///
/// IPv6 bytes 0..<8 are `high` and 8..<16 are `low`, both in host order, so
/// comparing `(high, low)` orders addresses exactly like comparing their
/// network-byte-order bytes — the order Community ID needs. IPv4 lives in the
/// low 32 bits of `low` with `high == 0`.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Family: UInt8, Sendable {
        case ipv4 = 4
        case ipv6 = 6
    }

    public var family: Family
    public var high: UInt64
    public var low: UInt64

    public init(ipv4: UInt32) {
        family = .ipv4
        high = 0
        low = UInt64(ipv4)
    }

    public init(ipv6High high: UInt64, low: UInt64) {
        family = .ipv6
        self.high = high
        self.low = low
    }

    /// The unspecified IPv4 address; used as the "nothing decoded yet" value.
    public static let zero = IPAddress(ipv4: 0)

    /// The IPv4 address as a host-order integer, or nil for IPv6.
    public var ipv4: UInt32? {
        family == .ipv4 ? UInt32(truncatingIfNeeded: low) : nil
    }

    /// Number of bytes the address occupies on the wire.
    public var byteCount: Int { family == .ipv4 ? 4 : 16 }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family.rawValue < rhs.family.rawValue }
        if lhs.high != rhs.high { return lhs.high < rhs.high }
        return lhs.low < rhs.low
    }

    /// Appends the network-byte-order bytes (4 or 16).
    public func appendBytes(to output: inout [UInt8]) {
        if family == .ipv4 {
            appendBigEndian(UInt32(truncatingIfNeeded: low), to: &output)
        } else {
            appendBigEndian(high, to: &output)
            appendBigEndian(low, to: &output)
        }
    }

    /// Appends the textual form: dotted quad, or RFC 5952 IPv6 (lowercase,
    /// no leading zeros, longest run of two or more zero groups as "::").
    public func appendText(to output: inout [UInt8]) {
        if family == .ipv4 {
            let value = UInt32(truncatingIfNeeded: low)
            for shift in stride(from: 24, through: 0, by: -8) {
                appendDecimal(UInt64((value >> UInt32(shift)) & 0xFF), to: &output)
                if shift != 0 { output.append(UInt8(ascii: ".")) }
            }
            return
        }
        // The eight 16-bit groups, read on demand: no array per address.
        func group(_ index: Int) -> UInt16 {
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> UInt64((3 - (index & 3)) * 16))
        }
        // Longest run of zero groups (first one wins a tie); runs of one stay.
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8 && group(index) == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                let length = index - runStart
                if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        var index = 0
        while index < 8 {
            if index == bestStart {
                output.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: ":")])
                index += bestLength
                continue
            }
            if index > 0 && index != bestStart + bestLength { output.append(UInt8(ascii: ":")) }
            appendHex(group(index), to: &output)
            index += 1
        }
    }

    public var description: String {
        var text: [UInt8] = []
        appendText(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses dotted-quad IPv4 or IPv6 text (with "::" compression and an
    /// optional trailing dotted quad). Meant for tests and configuration.
    public init?(_ text: String) {
        if !text.contains(":") {
            guard let value = IPAddress.parseIPv4(Substring(text)) else { return nil }
            self.init(ipv4: value)
            return
        }
        guard let (high, low) = IPAddress.parseIPv6(text) else { return nil }
        self.init(ipv6High: high, low: low)
    }

    private static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseIPv6(_ text: String) -> (UInt64, UInt64)? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, field) in fields.enumerated() {
                if index == fields.count - 1, field.contains("."), let v4 = parseIPv4(field) {
                    result.append(UInt16(v4 >> 16))
                    result.append(UInt16(v4 & 0xFFFF))
                } else {
                    guard !field.isEmpty, field.count <= 4, let group = UInt16(field, radix: 16) else { return nil }
                    result.append(group)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        let tail = halves.count == 2 ? groups(halves[1]) : []
        guard let tail else { return nil }
        let missing = 8 - head.count - tail.count
        guard halves.count == 2 ? missing >= 1 : missing == 0 else { return nil }
        let all = head + [UInt16](repeating: 0, count: missing) + tail
        var high: UInt64 = 0, low: UInt64 = 0
        for index in 0..<4 { high = high << 16 | UInt64(all[index]) }
        for index in 4..<8 { low = low << 16 | UInt64(all[index]) }
        return (high, low)
    }
}

/// Appends a UInt32/UInt64 in network byte order.
func appendBigEndian<T: FixedWidthInteger>(_ value: T, to output: inout [UInt8]) {
    var shift = T.bitWidth - 8
    while shift >= 0 {
        output.append(UInt8(truncatingIfNeeded: value >> T(shift)))
        shift -= 8
    }
}

/// Appends an unsigned integer in decimal without going through String.
func appendDecimal(_ value: UInt64, to output: inout [UInt8]) {
    if value == 0 {
        output.append(UInt8(ascii: "0"))
        return
    }
    var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0) // 32 bytes >= 20 digits
    var count = 0
    var remaining = value
    withUnsafeMutableBytes(of: &digits) { scratch in
        while remaining > 0 {
            scratch[count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
            count += 1
        }
        while count > 0 {
            count -= 1
            output.append(scratch[count])
        }
    }
}

/// Appends lowercase hex without leading zeros (used for IPv6 groups).
func appendHex(_ value: UInt16, to output: inout [UInt8]) {
    var started = false
    for shift in stride(from: 12, through: 0, by: -4) {
        let nibble = UInt8((value >> UInt16(shift)) & 0xF)
        if nibble != 0 || started || shift == 0 {
            output.append(Hex.digit(nibble))
            started = true
        }
    }
}
