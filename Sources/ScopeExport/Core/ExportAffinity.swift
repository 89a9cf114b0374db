import CThreadAffinity

/// Keeps the export threads (Exporter threads, AsyncHTTPClient's event
/// loops, librdkafka's threads) off the CPUs of the capture loops and of the
/// primary's busy-polling threads, when the host has CPUs to spare: their
/// encoding must never take the capture loop's core.
///
/// Threads inherit their creator's affinity, so the outputs are created and
/// started inside `inherited(by:)`: every thread they start then (and every
/// thread those threads start later) runs on the spare CPUs.
public enum ExportAffinity {
    /// The CPUs export threads may use: those the process may use, less
    /// the capture loops' and the primary's busy-polling ones; nil when
    /// none is left (the export threads then stay where they are).
    public static func spareCPUs(allowed: [Int], capture: Set<Int>, primaryBusy: Set<Int>) -> [Int]? {
        let spare = Set(allowed).subtracting(capture).subtracting(primaryBusy).sorted()
        return spare.isEmpty ? nil : spare
    }

    /// The calling thread's allowed CPUs, ascending (empty if unreadable).
    public static func current() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let count = thread_affinity_get(&cpus, Int32(cpus.count))
        return count > 0 ? cpus.prefix(Int(count)).map(Int.init) : []
    }

    /// Allows the calling thread only on `cpus`; false if the kernel refused.
    @discardableResult
    public static func set(_ cpus: [Int]) -> Bool {
        let numbers = cpus.map(Int32.init)
        return !numbers.isEmpty && thread_affinity_set(numbers, Int32(numbers.count)) == 0
    }

    /// Runs `body` with the calling thread allowed only on `cpus` (nil: as
    /// it is), then gives the thread its own CPUs back.
    public static func inherited<T>(by cpus: [Int]?, _ body: () throws -> T) rethrows -> T {
        guard let cpus else { return try body() }
        let own = current()
        guard !own.isEmpty, set(cpus) else { return try body() }
        defer { set(own) }
        return try body()
    }
}
