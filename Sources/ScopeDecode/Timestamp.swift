/// Timestamps are UInt64 nanoseconds since the Unix epoch everywhere in this
/// module; this renders them as RFC 3339 UTC with nanosecond precision
/// ("2024-02-29T12:00:00.000000001Z") without Foundation or the C library.
public enum Timestamp {
    public static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    public static func appendRFC3339(_ nanoseconds: UInt64, to output: inout [UInt8]) {
        let seconds = nanoseconds / nanosecondsPerSecond
        let fraction = nanoseconds % nanosecondsPerSecond
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        appendPadded(year, width: 4, to: &output)
        output.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2, to: &output)
        output.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &output)
        output.append(UInt8(ascii: "T"))
        appendPadded(secondOfDay / 3600, width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay / 60 % 60, width: 2, to: &output)
        output.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, width: 2, to: &output)
        output.append(UInt8(ascii: "."))
        appendPadded(fraction, width: 9, to: &output)
        output.append(UInt8(ascii: "Z"))
    }

    public static func rfc3339(_ nanoseconds: UInt64) -> String {
        var output: [UInt8] = []
        appendRFC3339(nanoseconds, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Proleptic Gregorian date for a day count from 1970-01-01. Works in
    /// 400-year eras (146 097 days each), with years starting on March 1st
    /// so the leap day is the last day of the year and needs no special case.
    static func civilDate(daysSinceEpoch: UInt64) -> (year: UInt64, month: UInt64, day: UInt64) {
        let shifted = daysSinceEpoch + 719_468  // days from 0000-03-01
        let era = shifted / 146_097
        let dayOfEra = shifted % 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func appendPadded(_ value: UInt64, width: Int, to output: inout [UInt8]) {
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = value
        if remaining >= divisor * 10 {
            appendDecimal(remaining, to: &output)  // wider than asked: never truncate
            return
        }
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }
}
