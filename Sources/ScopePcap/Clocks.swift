#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two clocks the writer needs: CLOCK_REALTIME for anything written into
/// a file (the primary's packet timestamps are realtime nanoseconds, and ISB
/// times must compare with them), CLOCK_MONOTONIC for rotation intervals
/// (immune to NTP steps).
public enum CaptureClock {
    public static func realtimeNanoseconds() -> UInt64 { read(CLOCK_REALTIME) }
    public static func monotonicNanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(max(0, ts.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, ts.tv_nsec))
    }
}
