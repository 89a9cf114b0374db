import Prometheus

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resident memory, start time and uptime, from /proc. Only gauges, so
/// `update()` is safe from any thread (the scrape refreshes them too).
struct ProcessMetrics: Sendable {
    private let residentMemory: Gauge
    private let uptime: Gauge
    /// Seconds since boot (CLOCK_BOOTTIME) at which the process started.
    private let startSinceBoot: Double

    init(registry: PrometheusCollectorRegistry) {
        residentMemory = registry.gauge(MetricFamilies.residentMemory)
        uptime = registry.gauge(MetricFamilies.uptime)
        let start = ProcFiles.startSinceBoot() ?? Self.now(bootClock: true)
        startSinceBoot = start
        let bootTime = ProcFiles.bootTime() ?? (Self.now(bootClock: false) - Self.now(bootClock: true))
        registry.gauge(MetricFamilies.startTime).set(to: bootTime + start)
        update()
    }

    func update() {
        if let bytes = ProcFiles.residentBytes() { residentMemory.set(to: Double(bytes)) }
        uptime.set(to: max(0, Self.now(bootClock: true) - startSinceBoot))
    }

    private static func now(bootClock: Bool) -> Double {
        var time = timespec()
        #if os(Linux)
        clock_gettime(bootClock ? CLOCK_BOOTTIME : CLOCK_REALTIME, &time)
        #else
        clock_gettime(bootClock ? CLOCK_MONOTONIC : CLOCK_REALTIME, &time)
        #endif
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// The few /proc values the process metrics need; nil where /proc is
/// missing or says something unexpected.
enum ProcFiles {
    /// /proc/self/statm's second field (resident pages) in bytes.
    static func residentBytes() -> UInt64? {
        guard let text = contents(of: "/proc/self/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 1)))
        return overflow ? nil : bytes
    }

    /// /proc/self/stat's field 22 (start time in clock ticks after boot),
    /// in seconds. The command name (field 2) may hold spaces and
    /// parentheses, so fields are counted after its last ")".
    static func startSinceBoot() -> Double? {
        guard let text = contents(of: "/proc/self/stat"), let nameEnd = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: nameEnd)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19, let ticks = UInt64(fields[19]) else { return nil }
        return Double(ticks) / Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))
    }

    /// /proc/stat's "btime": boot time, seconds since the epoch.
    static func bootTime() -> Double? {
        guard let text = contents(of: "/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingPrefixSpaces)
        }
        return nil
    }

    /// A whole small file (they are generated, st_size says 0).
    static func contents(of path: String, limit: Int = 1 << 20) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension Substring {
    var trimmingPrefixSpaces: Substring { drop { $0 == " " } }
}
