import ScopeAnalyzers
import ScopeCore
import ScopeDecode
@testable import ScopeLive
import Testing

/// The real captures through the statistics, the health line, and the
/// dashboard's clock and keys with a recording display.
@Suite struct DashboardLiveTests {
    let t0: UInt64 = 77 * Samples.second

    @Test func httpCaptureCountsPerServer() throws {
        let events = try FixtureEvents.read("http.pcap")
        var stats = LiveStatistics(now: t0)
        for event in events { stats.record(event) }
        let snapshot = stats.closeInterval(now: t0 + Samples.second)
        let http = try #require(snapshot.row(.http, .all))
        #expect(http.interval.count == 17 && http.interval.errors == 3 && snapshot.protocols.count == 1)
        let v4 = try #require(IPAddress("10.99.0.1")), v6 = try #require(IPAddress("fd00:99::1"))
        #expect(snapshot.row(.http, .endpoint(ServerEndpoint(address: v4, port: 80)))?.interval.count == 15)
        #expect(snapshot.row(.http, .endpoint(ServerEndpoint(address: v6, port: 80)))?.interval.count == 1)
        #expect(snapshot.row(.http, .endpoint(ServerEndpoint(address: v4, port: 9000)))?.interval.count == 1)
        let top = try #require(snapshot.resources[.http]).byCount(2)
        #expect(top.map(\.resource) == ["/a.txt", "/index.html"] && top.map(\.count) == [4, 3])
        let lines = DashboardRenderer(width: 160, height: 48).render(
            DashboardFrame(clock: "00:00:00", ports: ["p0"], statistics: snapshot, health: nil))
        #expect(lines.contains { $0.hasPrefix("http     [fd00:99::1]:80") })
        #expect(lines.contains { $0.hasPrefix("http     10.99.0.1:80 ") && $0.hasSuffix(" 15") })
    }

    @Test func redisCaptureCountsAndKeys() throws {
        let events = try FixtureEvents.read("redis.pcap")
        var stats = LiveStatistics(now: t0)
        for event in events { stats.record(event) }
        let snapshot = stats.closeInterval(now: t0 + 2 * Samples.second)
        let server = ServerEndpoint(address: try #require(IPAddress("10.99.3.1")), port: 6379)
        let row = try #require(snapshot.row(.redis, .endpoint(server)))
        #expect(row.interval.count == 6042 && row.interval.errors == 2 && row.interval.perSecond == 3021)
        #expect(snapshot.rows.count == 1 && snapshot.totalCumulative.count == 6042)
        let p50 = try #require(row.interval.p50), p99 = try #require(row.interval.p99)
        #expect(p50 > 0 && p50 <= p99 && p99 <= (row.interval.maximum ?? 0))
        let top = try #require(snapshot.resources[.redis]).byCount(2)
        #expect(top.map(\.resource) == ["key:__rand_int__", "mylist"] && top.map(\.count) == [4000, 2000])
    }

    @Test func healthIsDeltasOverTheInterval() {
        var health = CaptureHealth()
        let first = health.update(packets: 100, counters: PdumpCounters(accepted: 100, filtered: 10), now: t0)
        #expect(first.packetsPerSecond == 0 && first.delta == PdumpCounters() && first.dropRate == 0)
        let second = health.update(packets: 2_100, counters: PdumpCounters(accepted: 1_100, filtered: 30, nombuf: 100, ringfull: 800),
                                   now: t0 + 2 * Samples.second)
        #expect(second.packetsPerSecond == 1_000)
        #expect(second.delta == PdumpCounters(accepted: 1_000, filtered: 20, nombuf: 100, ringfull: 800))
        #expect(abs(second.dropRate - 900.0 / 1_900) < 1e-12 && abs(second.totalDropRate - 900.0 / 2_000) < 1e-12)
        // Counters that went back (re-registered queue) give zero, not a wrapped huge delta.
        let third = health.update(packets: 2_000, counters: PdumpCounters(accepted: 5), now: t0 + 3 * Samples.second)
        #expect(third.delta == PdumpCounters() && third.packetsPerSecond == 0)
        #expect(CaptureHealth.dropRate(PdumpCounters(nombuf: .max, ringfull: .max)) == 1)
        #expect(CaptureHealth.dropRate(PdumpCounters(filtered: 50)) == 0)
    }

    @Test func dashboardRedrawsOnceASecondAndQuitsOnQ() throws {
        let display = RecordingDisplay()
        var counters = PdumpCounters()
        let dashboard = LiveDashboard(display: display, ports: ["net_tap0"], now: t0) { counters }
        #expect(!dashboard.tick(packets: 10, now: t0 + 500_000_000) && display.frames.isEmpty)
        counters.accepted = 50
        for event in try FixtureEvents.read("http.pcap") { dashboard.record(event) }
        dashboard.tick(packets: 60, now: t0 + Samples.second)
        #expect(display.frames.count == 1)
        let frame = try #require(display.frames.last)
        #expect(frame[1].hasPrefix("capture 60.0 pkt/s  pdump accepted 50 "))
        #expect(frame.contains { $0.hasPrefix("http ") && $0.contains(" 15.0 ") })
        dashboard.tick(packets: 60, now: t0 + Samples.second + 1)
        #expect(display.frames.count == 1)

        display.keys = [.toggleView]
        dashboard.tick(packets: 60, now: t0 + 2 * Samples.second + 1)
        #expect(display.frames.count == 2 && display.frames[1][0].contains("c: last interval"))
        display.keys = [.quit]
        #expect(dashboard.tick(packets: 60, now: t0 + 2 * Samples.second + 100_000_000) && dashboard.quitRequested)
    }

    @Test func aVanishedTerminalStopsTheDashboard() {
        let display = RecordingDisplay()
        display.broken = true
        let dashboard = LiveDashboard(display: display, ports: [], now: t0) { PdumpCounters() }
        #expect(!dashboard.quitRequested)
        #expect(dashboard.tick(packets: 0, now: t0 + Samples.second))
        #expect(TerminalScreen(output: -1, input: -1) == nil)
    }
}
