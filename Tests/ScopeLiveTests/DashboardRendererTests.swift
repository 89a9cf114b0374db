import ScopeAnalyzers
import ScopeCore
@testable import ScopeLive
import Testing

@Suite struct DashboardRendererTests {
    static let hostile = [
        "/\u{1B}[2J\u{1B}]0;pwned\u{07}", "/a\r\nFAKE LINE", "/bidi\u{202E}txt.exe", "/nul\0del\u{7F}",
        "/wide\u{4E2D}\u{6587}\u{200B}", "/back\\slash", String(repeating: "/long", count: 200_000),
    ]

    /// Many endpoints, every protocol, hostile resources: a frame that
    /// cannot fit anywhere small.
    static func busyFrame(view: DashboardFrame.View = .interval) -> DashboardFrame {
        let t0: UInt64 = 1_000 * Samples.second
        var stats = LiveStatistics(now: t0)
        var random = SplitMix64(seed: 6)
        // A fixed rotation of protocols: the frame stays the same whatever else is registered.
        let rotation: [ApplicationProtocol] = [.http, .dns, .redis, .mysql, .pgsql, .memcache, .icmp]
        for index in 0..<5_000 {
            let application = rotation[index % rotation.count]
            let resource = index % 3 == 0 ? hostile[index % hostile.count] : "/path/\(index % 40)"
            stats.record(Samples.make(application, server: Samples.server(UInt32(index % 9), port: 8080),
                                      latency: random.next() % 3_000_000_000, error: index % 4 == 0, resource: resource))
        }
        // http the busiest, so its block leads the table.
        for _ in 0..<10 { stats.record(Samples.make(server: Samples.server(0, port: 8080))) }
        let health = CaptureHealth.Figures(packetsPerSecond: 123_456, delta: PdumpCounters(accepted: 1000, filtered: 5, nombuf: 3, ringfull: 7),
                                           totals: PdumpCounters(accepted: 9000), dropRate: 0.0099, totalDropRate: 0.001)
        return DashboardFrame(clock: "12:34:56", ports: ["net_tap0", "evil\u{1B}[31m"],
                              statistics: stats.closeInterval(now: t0 + Samples.second), health: health, view: view)
    }

    /// Nothing a terminal would act on: printable ASCII, plus µ.
    static func isHarmless(_ line: String) -> Bool {
        line.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) || $0 == "µ" }
    }

    @Test func hostileResourcesAreShownInert() {
        let lines = DashboardRenderer(width: 200, height: 60).render(Self.busyFrame())
        #expect(lines.allSatisfy(Self.isHarmless), "\(lines.filter { !Self.isHarmless($0) })")
        let text = lines.joined(separator: "\n")
        #expect(text.contains("\\x1b[2J\\x1b]0;pwned\\x07") && text.contains("/a\\r\\nFAKE LINE"))
        #expect(text.contains("/bidi\\xe2\\x80\\xaetxt.exe") && text.contains("/nul\\x00del\\x7f"))
        #expect(text.contains("/back\\\\slash") && text.contains("evil\\x1b[31m"))
        #expect(text.contains("/long/long") && text.contains("..."))
    }

    @Test func sanitizingIsBoundedByTheLimitNotTheInput() {
        #expect(DashboardText.sanitized("\u{1B}", limit: 10) == "\\x1b")
        #expect(DashboardText.sanitized("\u{1B}\u{1B}\u{1B}", limit: 9) == "\\x1b\\x...")
        #expect(DashboardText.sanitized(String(repeating: "x", count: 1 << 22), limit: 12) == "xxxxxxxxx...")
        #expect(DashboardText.sanitized("abc", limit: 2) == "..")
        #expect(DashboardText.sanitized("ok", limit: 0) == "")
    }

    @Test func everySizeIsRespected() {
        for view in [DashboardFrame.View.interval, .cumulative] {
            let frame = Self.busyFrame(view: view)
            for width in [1, 2, 10, 40, 79, 80, 120, 160, 300] {
                for height in [1, 2, 3, 4, 5, 6, 8, 12, 24, 48, 100] {
                    let lines = DashboardRenderer(width: width, height: height).render(frame)
                    #expect(lines.count <= height && lines.allSatisfy { $0.count <= width }, "\(width)x\(height)")
                }
            }
        }
        #expect(DashboardRenderer(width: 0, height: 10).render(Self.busyFrame()).isEmpty)
    }

    @Test func layoutOfAFullScreen() throws {
        let lines = DashboardRenderer(width: 160, height: 48).render(Self.busyFrame())
        #expect(lines.count == 48)
        #expect(lines[0].hasPrefix("dpdkscope watch  12:34:56  up 0:00:01  ports net_tap0,evil"))
        #expect(lines[1].contains("123k pkt/s") && lines[1].contains("nombuf 3 ringfull 7") && lines[1].contains("drop 1.0%"))
        #expect(lines[2].hasPrefix("transactions 5010/s  errors 25.0%  total 5010"))
        let heading = try #require(lines.firstIndex { $0.hasPrefix("PROTO    SERVER") })
        #expect(lines[heading].contains("TX/S") && lines[heading].contains("P99"))
        // Every protocol has nine servers: its "(all)" row leads its block.
        #expect(lines[heading + 1].hasPrefix("http     (all)"))
        #expect(lines.contains { $0.hasPrefix("... ") && $0.hasSuffix("more rows") })
        #expect(lines.contains { $0.hasSuffix("TOP RESOURCES BY COUNT (since start)") })
        #expect(lines.contains { $0.hasSuffix("SLOWEST RESOURCES BY MEAN (since start)") })
    }

    @Test func cumulativeViewSaysSo() {
        let lines = DashboardRenderer(width: 160, height: 48).render(Self.busyFrame(view: .cumulative))
        #expect(lines[0].contains("c: last interval") && lines[2].hasSuffix("(since start)"))
        #expect(lines.contains { $0.contains("AVG TX/S") })
    }

    @Test func humanUnits() {
        #expect(DashboardText.duration(nil) == "-" && DashboardText.duration(850) == "850ns")
        #expect(DashboardText.duration(12_345) == "12.3µs" && DashboardText.duration(456_000) == "456µs")
        #expect(DashboardText.duration(1_234_567) == "1.23ms" && DashboardText.duration(45_600_000) == "45.6ms")
        #expect(DashboardText.duration(1_500_000_000) == "1.50s" && DashboardText.duration(125_000_000_000) == "125s")
        #expect(DashboardText.duration(.max).hasSuffix("s"))
        #expect(DashboardText.percent(0.125) == "12.5%" && DashboardText.percent(1) == "100.0%")
        #expect(DashboardText.fixed(2.999, places: 2) == "3.00" && DashboardText.fixed(-0.04, places: 1) == "0.0")
        #expect(DashboardText.fixed(.nan, places: 1) == "-" && DashboardText.fixed(-1.25, places: 1) == "-1.3")
        #expect(DashboardText.rate(12.34) == "12.3" && DashboardText.rate(2_500_000) == "2.5M")
        #expect(DashboardText.uptime(3_725) == "1:02:05" && DashboardText.uptime(-5) == "0:00:00")
    }
}
