import ScopeAnalyzers
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

public enum DashboardKey: Sendable, Equatable {
    case quit
    case toggleView
}

/// Where the dashboard is drawn: the terminal, or a test's recorder.
public protocol DashboardDisplay: AnyObject {
    func size() -> (width: Int, height: Int)
    func draw(_ lines: [String], size: (width: Int, height: Int)) -> Bool
    func pendingKeys() -> [DashboardKey]
}

/// The `watch` dashboard: statistics fed with every transaction, and a
/// redraw once a second from whatever calls `tick` (the capture loop's idle
/// and progress moments). Not thread-safe: the capture loops reach it
/// through `DashboardHub`, which serializes them.
public final class LiveDashboard {
    private var statistics: LiveStatistics
    private var health = CaptureHealth()
    private let display: DashboardDisplay
    private let ports: [String]
    private let counters: () -> PdumpCounters
    private var view = DashboardFrame.View.interval
    private var nextRefresh: UInt64
    private var nextKeys: UInt64 = 0
    /// The user pressed q, or the terminal went away.
    public private(set) var quitRequested = false
    public private(set) var frames = 0
    public static let refreshInterval: UInt64 = 1_000_000_000
    static let keyInterval: UInt64 = 50_000_000

    /// - Parameters:
    ///   - counters: the pdump counters of every captured queue, summed.
    ///   - now: monotonic nanoseconds (`LiveDashboard.monotonicNow()`).
    public init(display: DashboardDisplay, ports: [String], limits: LiveStatistics.Limits = .init(),
                now: UInt64, counters: @escaping () -> PdumpCounters) {
        self.display = display
        self.ports = ports
        self.counters = counters
        statistics = LiveStatistics(limits: limits, now: now)
        nextRefresh = now &+ Self.refreshInterval
        _ = health.update(packets: 0, counters: counters(), now: now)
    }

    public func record(_ event: TransactionEvent) {
        statistics.record(event)
    }

    public func record(_ sample: TransactionSample) {
        statistics.record(sample)
    }

    /// Reads keys at most every 50 ms and redraws once a second. Returns
    /// true once the dashboard should stop. `packets`: taken so far; `shed`:
    /// of those, passed over by analysis under overload.
    @discardableResult
    public func tick(packets: UInt64, shed: UInt64 = 0, now: UInt64) -> Bool {
        if now >= nextKeys {
            nextKeys = now &+ Self.keyInterval
            for key in display.pendingKeys() {
                switch key {
                case .quit: quitRequested = true
                case .toggleView: view = view == .interval ? .cumulative : .interval
                }
            }
        }
        if now >= nextRefresh {
            // Catch up without bursts after a stall: the next one is a full interval away.
            nextRefresh = now &+ Self.refreshInterval
            refresh(packets: packets, shed: shed, now: now)
        }
        return quitRequested
    }

    /// Closes the interval and draws it.
    public func refresh(packets: UInt64, shed: UInt64 = 0, now: UInt64, wallSeconds: Int? = nil) {
        let snapshot = statistics.closeInterval(now: now)
        let figures = health.update(packets: packets, shed: shed, counters: counters(), now: now)
        let frame = DashboardFrame(clock: Self.clock(wallSeconds ?? Int(time(nil))), ports: ports,
                                   statistics: snapshot, health: figures, view: view)
        let size = display.size()
        let lines = DashboardRenderer(width: size.width, height: size.height).render(frame)
        frames += 1
        if !display.draw(lines, size: size) { quitRequested = true }
    }

    public static func monotonicNow() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Local HH:MM:SS.
    static func clock(_ seconds: Int) -> String {
        var raw = time_t(seconds)
        var parts = tm()
        guard localtime_r(&raw, &parts) != nil else { return "--:--:--" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
