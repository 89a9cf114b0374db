extension JSONText {
    /// RFC 3629 well-formedness: no overlong forms, no surrogates, nothing
    /// past U+10FFFF, no truncated sequences. ASCII is checked 8 bytes at a time.
    @usableFromInline
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index &+ 8 <= count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            index &+= 8
        }
        while index < count {
            let lead = base[index]
            if lead < 0x80 {
                index &+= 1
                continue
            }
            // The allowed range of the second byte depends on the lead byte.
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard count &- index >= length else { return false }
            let second = base[index &+ 1]
            guard second >= low && second <= high else { return false }
            var next = index &+ 2
            while next < index &+ length {
                guard base[next] & 0xC0 == 0x80 else { return false }
                next &+= 1
            }
            index &+= length
        }
        return true
    }
}
