/// if_tsresol: 10^-n seconds, or 2^-n when the top bit is set. Converts an
/// interface's ticks to nanoseconds without overflow traps (saturating),
/// whatever a hostile file declares.
struct TimestampResolution: Sendable, Equatable {
    let unitsPerSecond: UInt64

    static let microseconds = TimestampResolution(unitsPerSecond: 1_000_000)
    static let nanoseconds = TimestampResolution(unitsPerSecond: 1_000_000_000)

    init(unitsPerSecond: UInt64) { self.unitsPerSecond = unitsPerSecond }

    /// nil when the resolution does not fit 64 bits (10^20 and finer, 2^64).
    init?(tsresol: UInt8) {
        let exponent = tsresol & 0x7F
        if tsresol & 0x80 != 0 {
            guard exponent < 64 else { return nil }
            unitsPerSecond = 1 << UInt64(exponent)
        } else {
            guard exponent <= 19 else { return nil }
            var value: UInt64 = 1
            for _ in 0..<exponent { value *= 10 }
            unitsPerSecond = value
        }
    }

    @inline(__always)
    func nanoseconds(_ ticks: UInt64, offsetSeconds: Int64 = 0) -> UInt64 {
        var ns: UInt64
        if unitsPerSecond == 1_000_000_000 {
            ns = ticks
        } else {
            let (seconds, fraction) = ticks.quotientAndRemainder(dividingBy: unitsPerSecond)
            // fraction < unitsPerSecond, so fraction * 1e9 / unitsPerSecond < 1e9.
            let fractionNs = unitsPerSecond.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000_000)).quotient
            let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            let (sum, carry) = whole.addingReportingOverflow(fractionNs)
            ns = overflow || carry ? .max : sum
        }
        guard offsetSeconds != 0 else { return ns }
        let (shift, overflow) = offsetSeconds.magnitude.multipliedReportingOverflow(by: 1_000_000_000)
        if offsetSeconds > 0 {
            let (sum, carry) = ns.addingReportingOverflow(shift)
            return overflow || carry ? .max : sum
        }
        return overflow || shift > ns ? 0 : ns - shift
    }
}
