import ScopeAnalyzers
import ScopeDecode
@testable import ScopeLive
import Testing

@Suite struct DashboardStatisticsTests {
    let t0: UInt64 = 5_000 * Samples.second

    @Test func ratesOverIntervalsAndSinceStart() throws {
        var stats = LiveStatistics(now: t0)
        for index in 0..<30 { stats.record(Samples.make(error: index % 10 == 0)) }
        let first = stats.closeInterval(now: t0 + 2 * Samples.second)
        let row = try #require(first.row(.http, .endpoint(Samples.server(1))))
        #expect(first.intervalSeconds == 2 && row.interval.count == 30 && row.interval.perSecond == 15)
        #expect(row.interval.errors == 3 && row.interval.errorRate == 0.1 && row.interval.bytes == 3_000)

        for _ in 0..<10 { stats.record(Samples.make(latency: 4_000_000)) }
        let second = stats.closeInterval(now: t0 + 3 * Samples.second)
        let next = try #require(second.row(.http, .endpoint(Samples.server(1))))
        #expect(next.interval.count == 10 && next.interval.perSecond == 10 && next.interval.errors == 0)
        #expect(next.interval.p50 == 4_000_000)
        #expect(next.cumulative.count == 40 && abs(next.cumulative.perSecond - 40.0 / 3) < 1e-9)
        #expect(next.cumulative.errors == 3 && second.uptimeSeconds == 3)
        #expect(second.totalInterval.count == 10 && second.totalCumulative.count == 40)

        let quiet = stats.closeInterval(now: t0 + 4 * Samples.second)
        let idle = try #require(quiet.row(.http, .endpoint(Samples.server(1))))
        #expect(idle.interval.count == 0 && idle.interval.perSecond == 0 && idle.interval.p99 == nil)
        #expect(idle.cumulative.count == 40)
    }

    @Test func protocolTotalsAddUpTheirRows() throws {
        var stats = LiveStatistics(now: t0)
        for index in 0..<12 { stats.record(Samples.make(server: Samples.server(UInt32(index % 3)), latency: UInt64(index + 1) * 1_000)) }
        for _ in 0..<5 { stats.record(Samples.make(.dns, server: Samples.server(9, port: 53), error: true)) }
        let snapshot = stats.closeInterval(now: t0 + Samples.second)
        let http = try #require(snapshot.row(.http, .all))
        #expect(http.interval.count == 12 && http.interval.perSecond == 12 && snapshot.rows.count == 4)
        let p50 = try #require(http.interval.p50)
        #expect(http.interval.maximum == 12_000 && p50 >= 6_000 - 6_000 / 64 && p50 <= 6_000 + 6_000 / 64)
        let dns = try #require(snapshot.row(.dns, .all))
        #expect(dns.interval.errorRate == 1 && snapshot.totalInterval.count == 17)
        #expect(snapshot.protocols.map(\.application) == [.http, .dns])
    }

    @Test func rowsBeyondTheCapFoldIntoOther() throws {
        var stats = LiveStatistics(limits: .init(endpointsPerProtocol: 3), now: t0)
        for last: UInt32 in 1...5 {
            for _ in 0..<last { stats.record(Samples.make(server: Samples.server(last))) }
        }
        for last: UInt32 in 1...2 { stats.record(Samples.make(.redis, server: Samples.server(last, port: 6379))) }
        let snapshot = stats.closeInterval(now: t0 + Samples.second)
        #expect(snapshot.rows.count == 4 + 2)
        for last in 1...3 {
            #expect(snapshot.row(.http, .endpoint(Samples.server(UInt32(last))))?.interval.count == UInt64(last))
        }
        #expect(snapshot.row(.http, .endpoint(Samples.server(4))) == nil)
        #expect(snapshot.row(.http, .other)?.interval.count == 4 + 5)
        #expect(snapshot.row(.redis, .other) == nil && snapshot.row(.http, .all)?.interval.count == 15)
    }

    @Test func idleRowsMakeRoomWhenTheTableIsFull() throws {
        var stats = LiveStatistics(limits: .init(endpointsPerProtocol: 2, idleIntervals: 2), now: t0)
        stats.record(Samples.make(server: Samples.server(1)))
        stats.record(Samples.make(server: Samples.server(2)))
        var now = t0
        // Server 1 is busy in the first interval, idle in the next two.
        for _ in 0..<3 {
            stats.record(Samples.make(server: Samples.server(2)))
            now += Samples.second
            _ = stats.closeInterval(now: now)
        }
        // Server 1 idled two intervals while the table was full: its totals went to "other".
        #expect(stats.rowCount == 2)
        stats.record(Samples.make(server: Samples.server(3)))
        now += Samples.second
        let snapshot = stats.closeInterval(now: now)
        #expect(snapshot.row(.http, .endpoint(Samples.server(1))) == nil)
        #expect(snapshot.row(.http, .other)?.cumulative.count == 1)
        #expect(snapshot.row(.http, .endpoint(Samples.server(3)))?.cumulative.count == 1)
        #expect(snapshot.row(.http, .endpoint(Samples.server(2)))?.cumulative.count == 4)
        #expect(snapshot.row(.http, .all)?.cumulative.count == 6)
    }

    /// Millions of distinct endpoints and resources (a scan, random URLs)
    /// must not grow memory: rows and ranked resources stay within the caps.
    @Test func memoryStaysBoundedUnderHostileTraffic() throws {
        let limits = LiveStatistics.Limits(endpointsPerProtocol: 32, resourcesPerProtocol: 64, resourceLength: 200)
        var stats = LiveStatistics(limits: limits, now: t0)
        var random = SplitMix64(seed: 4)
        let huge = String(repeating: "A", count: 1 << 20)
        var now = t0
        for index in 0..<300_000 {
            let application = ApplicationProtocol.allCases[index % ApplicationProtocol.allCases.count]
            let address = IPAddress(ipv6High: random.next(), low: random.next())
            let resource = index % 5_000 == 0 ? "\(index)" + huge : "/r/\(random.next())"
            stats.record(TransactionSample(application: application, server: ServerEndpoint(address: address, port: 80),
                                           latency: random.next() % 100_000_000_000, bytes: random.next(),
                                           isError: index % 2 == 0, resource: resource))
            if index % 50_000 == 0 { now += Samples.second; _ = stats.closeInterval(now: now) }
        }
        let protocols = ApplicationProtocol.allCases.count
        #expect(stats.rowCount <= protocols * 33)
        #expect(stats.resourceCount <= protocols * 64)
        let snapshot = stats.closeInterval(now: now + Samples.second)
        #expect(snapshot.totalCumulative.count == 300_000)
        for ranking in snapshot.resources.values {
            #expect(ranking.entries.count <= 64)
            #expect(ranking.entries.allSatisfy { $0.resource.utf8.count <= 200 })
        }
    }
}
