/// The value syntaxes of the config file: durations, sizes, file modes.
/// Whole numbers only, so every value is exact.
enum Units {
    static let durationUnits: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Binary units are powers of 1024, decimal ones powers of 1000 (as on
    /// disks and links). Matched case-insensitively; `b` is bytes.
    static let sizeUnits: [(suffix: String, bytes: Int)] = [
        ("b", 1), ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
    ]

    /// `10s`, `500ms`, `2m`, `1h`, `250us`, `0`, or a bare number of seconds.
    static func duration(_ text: String) -> Duration? {
        guard let (number, unit) = split(text) else { return nil }
        let scale = unit.isEmpty ? 1_000_000_000 : durationUnits.first { $0.suffix == unit }?.nanoseconds
        guard let scale, let value = Int64(number) else { return nil }
        let (nanoseconds, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : .nanoseconds(nanoseconds)
    }

    /// A bare number of bytes or `512KiB`, `10MiB`, `1GiB`, `10MB`...
    static func bytes(_ text: String) -> Int? {
        guard let (number, unit) = split(text) else { return nil }
        let scale = unit.isEmpty ? 1 : sizeUnits.first { $0.suffix == unit.lowercased() }?.bytes
        guard let scale, let value = Int(number) else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }

    /// Octal file mode as in chmod: "0600", "640".
    static func fileMode(_ text: String) -> UInt32? {
        guard (3...4).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
        return UInt32(text, radix: 8)
    }

    /// Leading decimal digits and the unit after them (spaces between are
    /// allowed: "10 MiB"); nil without digits or with anything else.
    private static func split(_ text: String) -> (number: Substring, unit: Substring)? {
        let trimmed = text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        let body = Substring(String(trimmed))
        let digits = body.prefix { $0.isASCII && $0.isNumber }
        let unit = body.dropFirst(digits.count).drop { $0 == " " }
        guard !digits.isEmpty, unit.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        return (digits, unit)
    }

    /// The largest unit that shows `duration` exactly: "10s", "500ms", "24h".
    static func format(_ duration: Duration) -> String {
        let nanoseconds = duration.wholeNanoseconds
        guard nanoseconds > 0 else { return "0s" }
        for unit in durationUnits.reversed() where nanoseconds % UInt64(unit.nanoseconds) == 0 {
            return "\(nanoseconds / UInt64(unit.nanoseconds))\(unit.suffix)"
        }
        return "\(nanoseconds)ns"
    }

    /// "64MiB" when a whole number of binary units, else the byte count.
    static func format(bytes: Int) -> String {
        for (suffix, scale) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes != 0 && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return "\(bytes)"
    }

    static func format(fileMode: UInt32) -> String {
        let octal = String(fileMode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - octal.count)) + octal
    }
}

extension Duration {
    /// Whole nanoseconds, 0 for negative durations, saturating at UInt64.max:
    /// the unit of every timer in ScopeAnalyzers and ScopeDecode.
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return overflow || overflow2 ? .max : total
    }
}
