/// Values with a fixed shape, rendered in place: the same text as
/// `Timestamp.rfc3339`, `IPAddress.description` and `CommunityID.string`,
/// with no intermediate buffer. Callers reserve the room stated.
extension JSONText {
    /// 30 bytes (every representable time is before year 10000).
    @usableFromInline
    static func putRFC3339(_ nanoseconds: UInt64, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        let seconds = nanoseconds / Timestamp.nanosecondsPerSecond
        let secondOfDay = seconds % 86_400
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: seconds / 86_400)
        // Every field but the fraction is below 100 (the year in two):
        // one table load each.
        putPair(year / 100, at: cursor)
        putPair(year % 100, at: cursor + 2)
        cursor[4] = UInt8(ascii: "-")
        putPair(month, at: cursor + 5)
        cursor[7] = UInt8(ascii: "-")
        putPair(day, at: cursor + 8)
        cursor[10] = UInt8(ascii: "T")
        putPair(secondOfDay / 3600, at: cursor + 11)
        cursor[13] = UInt8(ascii: ":")
        putPair(secondOfDay / 60 % 60, at: cursor + 14)
        cursor[16] = UInt8(ascii: ":")
        putPair(secondOfDay % 60, at: cursor + 17)
        cursor[19] = UInt8(ascii: ".")
        cursor += 20
        putDecimal(nanoseconds % Timestamp.nanosecondsPerSecond, digits: 9, &cursor)
        put(UInt8(ascii: "Z"), &cursor)
    }

    /// At most 39 bytes.
    @usableFromInline
    static func putAddress(_ address: IPAddress, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        if address.family == .ipv4 {
            putOctet(address.low >> 24 & 0xFF, &cursor)
            put(UInt8(ascii: "."), &cursor)
            putOctet(address.low >> 16 & 0xFF, &cursor)
            put(UInt8(ascii: "."), &cursor)
            putOctet(address.low >> 8 & 0xFF, &cursor)
            put(UInt8(ascii: "."), &cursor)
            putOctet(address.low & 0xFF, &cursor)
            return
        }
        func group(_ index: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (index < 4 ? address.high : address.low) >> UInt64((3 &- index % 4) &* 16))
        }
        // Longest run of two or more zero groups (the first wins a tie) becomes "::".
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8 && group(index) == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                let length = index &- runStart
                if length > bestLength && length >= 2 { (bestStart, bestLength) = (runStart, length) }
                runStart = -1
            }
        }
        var index = 0
        while index < 8 {
            if index == bestStart {
                put(UInt8(ascii: ":"), &cursor)
                put(UInt8(ascii: ":"), &cursor)
                index &+= bestLength
                continue
            }
            if index > 0 && index != bestStart &+ bestLength { put(UInt8(ascii: ":"), &cursor) }
            putHex(group(index), &cursor)
            index &+= 1
        }
    }

    /// 0...255 in one to three digits, the last two from `digitPairs`.
    @inline(__always)
    private static func putOctet(_ value: UInt64, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        if value >= 100 {
            let hundreds = value >= 200 ? 2 : 1 as UInt64
            put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: hundreds), &cursor)
            putPair(value &- hundreds &* 100, at: cursor)
            cursor += 2
        } else if value >= 10 {
            putPair(value, at: cursor)
            cursor += 2
        } else {
            put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value), &cursor)
        }
    }

    /// Lowercase, no leading zeros.
    private static func putHex(_ value: UInt16, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        var shift: UInt16 = 12
        while shift > 0 && value >> shift == 0 { shift &-= 4 }
        while true {
            put(Hex.digit(UInt8(truncatingIfNeeded: (value >> shift) & 0xF)), &cursor)
            if shift == 0 { return }
            shift &-= 4
        }
    }

    /// 30 bytes: "1:" and 28 of base64 (20 digest bytes, one '=').
    @usableFromInline
    static func putCommunityID(_ digest: SHA1Digest, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        put(UInt8(ascii: "1"), &cursor)
        put(UInt8(ascii: ":"), &cursor)
        putBase64(digest, &cursor)
    }

    /// 28 bytes: the digest's base64 (one '=').
    @usableFromInline
    static func putBase64(_ digest: SHA1Digest, _ cursor: inout UnsafeMutablePointer<UInt8>) {
        // The digest's 20 bytes and a zero byte of padding, three bytes per
        // four sextets; each sextet's digit is one load from `base64Digits`.
        var words = (digest.h0.bigEndian, digest.h1.bigEndian, digest.h2.bigEndian, digest.h3.bigEndian,
                     digest.h4.bigEndian, UInt32(0))
        let digits = base64Digits.utf8Start
        withUnsafeBytes(of: &words) { bytes in
            for group in stride(from: 0, to: 21, by: 3) {
                let bits = Int(bytes[group]) << 16 | Int(bytes[group &+ 1]) << 8 | Int(bytes[group &+ 2])
                put(digits[bits >> 18], &cursor)
                put(digits[bits >> 12 & 0x3F], &cursor)
                put(digits[bits >> 6 & 0x3F], &cursor)
                if group < 18 { put(digits[bits & 0x3F], &cursor) }
            }
        }
        put(UInt8(ascii: "="), &cursor)
    }

    /// The base64 alphabet (RFC 4648) in order, indexed by sextet.
    private static var base64Digits: StaticString {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    }
}
