/// Punycode (RFC 3492) encoding of one label, as IDNA puts it on the wire:
/// the Public Suffix List writes internationalised rules in Unicode
/// ("公司.cn") while DNS queries carry them as "xn--55qx5d.cn".
enum Punycode {
    private static let base: UInt32 = 36, tMin: UInt32 = 1, tMax: UInt32 = 26
    private static let skew: UInt32 = 38, damp: UInt32 = 700

    /// "xn--" and the encoding when the label has a non-ASCII scalar; the
    /// label unchanged otherwise; nil when the arithmetic would overflow
    /// (labels far longer than DNS allows).
    static func asciiLabel(_ label: String) -> String? {
        // Nearly every label (all but the internationalised rules of the
        // Public Suffix List, loaded with the first DNS event) is ASCII: its
        // bytes say so without an array of its scalars (callgrind: 1.2 k
        // instructions a label, 24 M for the list's 20,000).
        if label.utf8.allSatisfy({ $0 < 0x80 }) { return label }
        let scalars = label.unicodeScalars.map(\.value)
        guard scalars.contains(where: { $0 >= 0x80 }) else { return label }
        var output = scalars.filter { $0 < 0x80 }.map { UInt8($0) }
        let basicCount = output.count
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var handled = basicCount
        var n: UInt32 = 0x80, delta: UInt32 = 0, bias: UInt32 = 72
        while handled < scalars.count {
            guard let next = scalars.filter({ $0 >= n }).min() else { break }
            let (step, stepOverflow) = (next &- n).multipliedReportingOverflow(by: UInt32(handled &+ 1))
            let (advanced, addOverflow) = delta.addingReportingOverflow(step)
            guard !stepOverflow, !addOverflow else { return nil }
            delta = advanced
            n = next
            for scalar in scalars {
                if scalar < n {
                    guard delta < UInt32.max else { return nil }
                    delta &+= 1
                }
                guard scalar == n else { continue }
                // delta as a generalised variable-length integer.
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : min(k &- bias, tMax)
                    if q < t { break }
                    output.append(digit(t &+ (q &- t) % (base &- t)))
                    q = (q &- t) / (base &- t)
                    k &+= base
                }
                output.append(digit(q))
                bias = adapt(delta, points: UInt32(handled &+ 1), first: handled == basicCount)
                delta = 0
                handled &+= 1
            }
            delta &+= 1
            n &+= 1
        }
        return "xn--" + String(decoding: output, as: UTF8.self)
    }

    private static func adapt(_ delta: UInt32, points: UInt32, first: Bool) -> UInt32 {
        var delta = first ? delta / damp : delta / 2
        delta &+= delta / points
        var k: UInt32 = 0
        while delta > ((base &- tMin) &* tMax) / 2 {
            delta /= base &- tMin
            k &+= base
        }
        return k &+ (base &- tMin &+ 1) &* delta / (delta &+ skew)
    }

    private static func digit(_ value: UInt32) -> UInt8 {
        value < 26 ? UInt8(ascii: "a") &+ UInt8(value) : UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value &- 26)
    }
}
