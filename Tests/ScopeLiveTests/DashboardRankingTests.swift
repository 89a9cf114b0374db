import Foundation
@testable import ScopeLive
import Testing

@Suite struct DashboardRankingTests {
    /// A Zipf-like stream over 20 000 resources: the top ten by count come
    /// out exactly, and every count brackets the truth as space-saving promises.
    @Test func topResourcesOfASkewedStream() {
        var random = SplitMix64(seed: 5)
        let distinct = 20_000
        // Cumulative weights 1/rank^1.3: a few hot resources, a long tail.
        var cumulative: [Double] = []
        var sum = 0.0
        for rank in 1...distinct {
            sum += 1 / pow(Double(rank), 1.3)
            cumulative.append(sum)
        }
        var ranking = ResourceRanking(capacity: 64)
        var truth: [String: UInt64] = [:]
        let total = 200_000
        for _ in 0..<total {
            let point = Double.random(in: 0..<sum, using: &random)
            var low = 0, high = distinct - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] < point { low = middle + 1 } else { high = middle }
            }
            let resource = "/item/\(low)"
            truth[resource, default: 0] += 1
            ranking.record(resource, latency: UInt64(low + 1) * 1_000, isError: low % 7 == 0)
        }
        let expected = truth.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10).map(\.key)
        #expect(ranking.byCount(10).map(\.resource) == expected)
        for entry in ranking.entries {
            let real = truth[entry.resource] ?? 0
            #expect(entry.count >= real && entry.count - entry.overestimate <= real, "\(entry.resource)")
        }
        // Whatever occurs more than n/capacity times holds a slot.
        for (resource, count) in truth where count > UInt64(total / 64) {
            #expect(ranking.entries.contains { $0.resource == resource }, "\(resource) (\(count))")
        }
        #expect(ranking.entries.count == 64)
        // The hottest resource never lost its slot: its latency figures are exact.
        let hottest = ranking.byCount(1)[0]
        #expect(hottest.overestimate == 0 && hottest.observed == truth[hottest.resource])
        #expect(hottest.meanLatency == 1_000 && hottest.errors == hottest.observed)
    }

    @Test func slowestByMeanLatency() {
        var ranking = ResourceRanking(capacity: 8)
        for _ in 0..<10 { ranking.record("fast", latency: 1_000, isError: false) }
        ranking.record("slow", latency: 9_000_000, isError: true)
        ranking.record("slow", latency: 1_000_000, isError: false)
        ranking.record("medium", latency: 50_000, isError: false)
        let slowest = ranking.byMeanLatency(2)
        #expect(slowest.map(\.resource) == ["slow", "medium"])
        #expect(slowest[0].meanLatency == 5_000_000 && slowest[0].maximumLatency == 9_000_000 && slowest[0].errors == 1)
        #expect(ranking.byMeanLatency(5, minimumObserved: 3).map(\.resource) == ["fast"])
    }

    @Test func longResourcesAreCutOnACharacterBoundary() {
        var ranking = ResourceRanking(capacity: 4, maximumLength: 10)
        ranking.record(String(repeating: "é", count: 100), latency: 1, isError: false)
        ranking.record("0123456789abcdef", latency: 1, isError: false)
        ranking.record("0123456789xyz", latency: 1, isError: false)
        #expect(ranking.entries.count == 2)
        #expect(ranking.entries[0].resource == String(repeating: "é", count: 5))
        // Two resources with the same first ten bytes share an entry.
        #expect(ranking.entries[1].resource == "0123456789" && ranking.entries[1].count == 2)
        #expect(ResourceRanking.cut("ab\u{1F600}", to: 3) == "ab")
        #expect(ResourceRanking.cut("abc", to: 3) == "abc")
    }
}
