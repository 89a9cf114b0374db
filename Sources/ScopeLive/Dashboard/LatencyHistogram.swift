/// Latencies in nanoseconds, counted in log-linear buckets: every power of
/// two is cut into 32 equal sub-buckets, so a bucket is at most 1/32 of its
/// lower bound wide and its midpoint is within 1/64 (1.6 %) of any value in
/// it. Exact below 64 ns; values above 2^37 ns (137 s) share the last
/// bucket. Fixed memory (1056 counters), no allocation when recording.
public struct LatencyHistogram: Sendable {
    /// Sub-buckets per power of two, as a shift (32).
    static let subBucketBits = 5
    /// Largest power of two resolved; beyond it values are clamped.
    static let topExponent = 37
    static let bucketCount = (topExponent - subBucketBits + 1) << subBucketBits
    /// The largest value with a bucket of its own (just under 2^37 ns).
    public static let largestTracked: UInt64 = (1 << UInt64(topExponent)) - 1

    private var buckets: [UInt64]
    public private(set) var count: UInt64 = 0
    /// Exact extremes: they bound what a bucket midpoint may report.
    public private(set) var minimum: UInt64 = .max
    public private(set) var maximum: UInt64 = 0
    /// Wrapping sum; only meant for means over sane spans.
    public private(set) var total: UInt64 = 0

    public init() {
        buckets = Array(repeating: 0, count: Self.bucketCount)
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func record(_ nanoseconds: UInt64) {
        buckets[Self.bucket(of: nanoseconds)] &+= 1
        count &+= 1
        total &+= nanoseconds
        if nanoseconds < minimum { minimum = nanoseconds }
        if nanoseconds > maximum { maximum = nanoseconds }
    }

    /// Adds another histogram's counts (folding rows, protocol totals).
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        for index in 0..<Self.bucketCount { buckets[index] &+= other.buckets[index] }
        count &+= other.count
        total &+= other.total
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
    }

    /// Back to empty, keeping the storage.
    public mutating func reset() {
        guard !isEmpty else { return }
        for index in 0..<Self.bucketCount { buckets[index] = 0 }
        count = 0
        total = 0
        minimum = .max
        maximum = 0
    }

    public var mean: UInt64? { isEmpty ? nil : total / count }

    /// The nearest-rank quantile (the value at rank ⌈q·n⌉ of the sorted
    /// samples), as its bucket's midpoint kept within the observed range.
    public func quantile(_ q: Double) -> UInt64? {
        quantiles([q])[0]
    }

    /// Several quantiles in one pass; `qs` ascending.
    public func quantiles(_ qs: [Double]) -> [UInt64?] {
        guard !isEmpty else { return qs.map { _ in nil } }
        let ranks = qs.map { q -> UInt64 in
            let clamped = q.isFinite ? min(max(q, 0), 1) : 1
            let rank = (clamped * Double(count)).rounded(.up)
            return max(1, min(count, UInt64(rank)))
        }
        var results = [UInt64?](repeating: nil, count: qs.count)
        var next = 0
        var seen: UInt64 = 0
        for index in 0..<Self.bucketCount where buckets[index] > 0 {
            seen &+= buckets[index]
            while next < ranks.count, ranks[next] <= seen {
                results[next] = min(max(Self.midpoint(of: index), minimum), maximum)
                next += 1
            }
            if next == ranks.count { break }
        }
        return results
    }

    static func bucket(of value: UInt64) -> Int {
        let clamped = min(value, largestTracked)
        let msb = 63 - clamped.leadingZeroBitCount
        let exponent = max(0, msb - subBucketBits)
        return (exponent << subBucketBits) + Int(clamped >> UInt64(exponent))
    }

    /// Lower bound and width of a bucket.
    static func range(of index: Int) -> (lower: UInt64, width: UInt64) {
        let half = 1 << subBucketBits
        guard index >= 2 * half else { return (UInt64(index), 1) }
        let exponent = (index >> subBucketBits) - 1
        let mantissa = UInt64((index & (half - 1)) + half)
        return (mantissa << UInt64(exponent), 1 << UInt64(exponent))
    }

    static func midpoint(of index: Int) -> UInt64 {
        let (lower, width) = range(of: index)
        return lower + width / 2
    }
}
