import Foundation
import ScopeLive
import Testing

/// Percentiles against the sorted-array oracle: the nearest-rank value,
/// within the histogram's stated precision (1/64 of the value, exact below 64 ns).
@Suite struct DashboardHistogramTests {
    static let quantiles = [0.0001, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0]

    static func oracle(_ sorted: [UInt64], _ q: Double) -> UInt64 {
        let rank = max(1, min(sorted.count, Int((q * Double(sorted.count)).rounded(.up))))
        return sorted[rank - 1]
    }

    static func check(_ values: [UInt64], sourceLocation: SourceLocation = #_sourceLocation) {
        var histogram = LatencyHistogram()
        for value in values { histogram.record(value) }
        let sorted = values.sorted()
        for q in quantiles {
            let expected = oracle(sorted, q)
            guard let estimate = histogram.quantile(q) else {
                Issue.record("no quantile \(q)", sourceLocation: sourceLocation)
                continue
            }
            let error = estimate > expected ? estimate - expected : expected - estimate
            #expect(error <= expected / 64, "q=\(q): \(estimate) vs \(expected)", sourceLocation: sourceLocation)
        }
        #expect(histogram.count == UInt64(values.count), sourceLocation: sourceLocation)
        #expect(histogram.maximum == sorted.last && histogram.minimum == sorted.first, sourceLocation: sourceLocation)
    }

    @Test func logUniformFromOneMicrosecondToHundredSeconds() {
        var random = SplitMix64(seed: 1)
        let values = (0..<100_000).map { _ -> UInt64 in
            UInt64(1_000 * pow(10, Double.random(in: 0...8, using: &random)))
        }
        Self.check(values)
    }

    @Test func bimodalCacheHitsAndMisses() {
        var random = SplitMix64(seed: 2)
        let values = (0..<50_000).map { index -> UInt64 in
            index % 10 == 0 ? UInt64.random(in: 40_000_000...90_000_000, using: &random)
                : UInt64.random(in: 80_000...120_000, using: &random)
        }
        Self.check(values)
    }

    @Test func smallAndExactValues() {
        Self.check(Array(0..<64) + [0, 1, 1, 63])
        Self.check(Array(repeating: 7_777_777, count: 1000))
        Self.check([42])
    }

    @Test func everyBucketBoundaryIsCovered() {
        // Values straddling each power of two and sub-bucket edge.
        var values: [UInt64] = []
        for exponent in 6..<37 {
            let base = UInt64(1) << UInt64(exponent)
            values += [base - 1, base, base + 1, base + base / 64, base + base / 32 - 1]
        }
        Self.check(values)
    }

    @Test func emptyAndClampedValues() {
        var histogram = LatencyHistogram()
        #expect(histogram.quantile(0.5) == nil && histogram.mean == nil)
        histogram.record(.max)
        histogram.record(.max)
        // Beyond the tracked range the bucket is shared, but the exact maximum bounds the answer.
        #expect(histogram.quantile(0.99) == .max)
        histogram.record(500_000_000_000)
        #expect(histogram.count == 3 && histogram.maximum == .max && histogram.minimum == 500_000_000_000)
    }

    @Test func mergeEqualsRecordingEverything() {
        var random = SplitMix64(seed: 3)
        var left = LatencyHistogram(), right = LatencyHistogram(), both = LatencyHistogram()
        for index in 0..<20_000 {
            let value = UInt64.random(in: 1_000...5_000_000_000, using: &random)
            if index % 3 == 0 { left.record(value) } else { right.record(value) }
            both.record(value)
        }
        left.merge(right)
        #expect(left.count == both.count && left.total == both.total)
        #expect(left.quantiles(Self.quantiles) == both.quantiles(Self.quantiles))
        left.reset()
        #expect(left.isEmpty && left.quantile(0.5) == nil)
        left.record(3_000)
        #expect(left.quantile(0.5) == 3_000)
    }
}
