#if canImport(Glibc)
import Glibc
#endif

/// One thread of the primary, as seen in /proc/PID/task.
public struct PrimaryThread: Equatable, Sendable {
    public var name: String
    public var cpus: [Int]
    /// Share of one CPU the thread used since it started (1.0 = spinning).
    public var cpuShare: Double

    public init(name: String, cpus: [Int], cpuShare: Double) {
        self.name = name
        self.cpus = cpus
        self.cpuShare = cpuShare
    }

    /// EAL names its worker threads "rte-worker-N" (22.11), "dpdk-workerN"
    /// (23.11 and later, no dash) or "lcore-worker-N" (before 22.11); N is
    /// the lcore id.
    public var workerLcore: Int? {
        for prefix in ["rte-worker-", "lcore-worker-", "dpdk-worker"] where name.hasPrefix(prefix) {
            return Int(name.dropFirst(prefix.count))
        }
        return nil
    }

    /// Polling threads spin; a worker lcore is assumed to poll even when idle
    /// right now because DPDK workers are launched to run-to-completion loops.
    public var isBusyPolling: Bool { workerLcore != nil || cpuShare > 0.5 }
}

/// The secondary's own lcore: an lcore id no primary lcore uses (pool caches
/// are indexed by lcore id, and our pool is shared with the primary's
/// lcores), on a CPU the primary is not busy-polling.
public struct LcoreChoice: Equatable, Sendable {
    public var lcoreID: Int
    public var cpu: Int
    /// Why this CPU: shown at debug level and in diagnostics.
    public var reason: String

    /// Value for EAL's --lcores.
    public var ealValue: String { "\(lcoreID)@\(cpu)" }

    /// CPUs a busy-polling primary thread is pinned to (a thread allowed on
    /// several CPUs pins none of them).
    public static func busyCPUs(_ threads: [PrimaryThread]) -> Set<Int> {
        Set(threads.filter(\.isBusyPolling).flatMap { $0.cpus.count == 1 ? $0.cpus : [] })
    }

    /// Lcore ids the primary uses: its workers and its main lcore.
    static func primaryLcores(_ threads: [PrimaryThread], commandLine: [String]) -> Set<Int> {
        Set(threads.compactMap(\.workerLcore)).union([mainLcore(commandLine: commandLine)])
    }

    public static func choose(threads: [PrimaryThread], primaryCommandLine: [String], allowedCPUs: [Int]) -> LcoreChoice {
        let busy = busyCPUs(threads)
        let used = primaryLcores(threads, commandLine: primaryCommandLine)
        let lcore = (0...).first { !used.contains($0) } ?? 0
        if let cpu = allowedCPUs.first(where: { !busy.contains($0) }) {
            let note = busy.isEmpty ? "no busy-polling primary thread found" : "primary polls on CPU \(busy.sorted().map(String.init).joined(separator: ","))"
            return LcoreChoice(lcoreID: lcore, cpu: cpu, reason: note)
        }
        return LcoreChoice(lcoreID: lcore, cpu: allowedCPUs.first ?? 0,
                           reason: "every allowed CPU is busy-polled by the primary; sharing CPU \(allowedCPUs.first ?? 0)")
    }

    /// Our main lcore plus `workers` worker lcores for --multi: lcore ids the
    /// primary does not use, workers spread round-robin over CPUs the
    /// primary is not busy-polling (several lcores may share one CPU).
    public static func chooseMany(workers: Int, threads: [PrimaryThread], primaryCommandLine: [String],
                                  allowedCPUs: [Int]) -> [LcoreChoice] {
        let main = choose(threads: threads, primaryCommandLine: primaryCommandLine, allowedCPUs: allowedCPUs)
        let busy = busyCPUs(threads)
        var used = primaryLcores(threads, commandLine: primaryCommandLine)
        used.insert(main.lcoreID)
        let free = allowedCPUs.filter { !busy.contains($0) }
        let cpus = free.isEmpty ? (allowedCPUs.isEmpty ? [0] : allowedCPUs) : free
        var choices = [main]
        var next = 0
        for index in 0..<max(0, workers) {
            while used.contains(next) { next += 1 }
            used.insert(next)
            choices.append(LcoreChoice(lcoreID: next, cpu: cpus[index % cpus.count],
                                       reason: free.isEmpty ? "no idle CPU; sharing" : "idle CPU"))
        }
        return choices
    }

    /// EAL --lcores for a list of choices ("2@0,3@0,4@1"); the first is main.
    public static func ealValue(_ choices: [LcoreChoice]) -> String {
        choices.map(\.ealValue).joined(separator: ",")
    }

    /// How many CPUs we may use that the primary is not busy-polling.
    public static func idleCPUCount(threads: [PrimaryThread], allowedCPUs: [Int]) -> Int {
        let busy = busyCPUs(threads)
        return allowedCPUs.filter { !busy.contains($0) }.count
    }

    /// The primary's main lcore from its EAL arguments: --main-lcore, else the
    /// first lcore of -l/--lcores/-c, else 0.
    public static func mainLcore(commandLine: [String]) -> Int {
        func value(after flag: String) -> String? {
            if let i = commandLine.firstIndex(of: flag), i + 1 < commandLine.count { return commandLine[i + 1] }
            return commandLine.first { $0.hasPrefix(flag + "=") }.map { String($0.dropFirst(flag.count + 1)) }
        }
        if let main = value(after: "--main-lcore").flatMap({ Int($0) }) { return main }
        if let list = value(after: "-l") ?? commandLine.first(where: { $0.hasPrefix("-l") && $0.count > 2 && !$0.hasPrefix("--") }).map({ String($0.dropFirst(2)) }) ?? value(after: "--lcores") {
            let digits = list.drop { !$0.isNumber }.prefix { $0.isNumber }
            if let first = Int(digits) { return first }
        }
        if let mask = value(after: "-c"), let bits = UInt64(mask.hasPrefix("0x") ? String(mask.dropFirst(2)) : mask, radix: 16), bits != 0 {
            return bits.trailingZeroBitCount
        }
        return 0
    }

    /// Parses a Linux CPU list such as "0-3,8,10-11".
    public static func parseCPUList(_ text: Substring) -> [Int] {
        text.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0.trimmingCharacters()) }
            if bounds.count == 2, bounds[0] <= bounds[1], bounds[1] - bounds[0] < 4096 { return Array(bounds[0]...bounds[1]) }
            return bounds.count == 1 ? bounds : []
        }
    }

    /// Reads the primary's threads from /proc.
    public static func primaryThreads(pid: Int32) -> [PrimaryThread] {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let uptime = ProcessFiles.readText("/proc/uptime").flatMap { Double($0.split(separator: " ").first ?? "") } ?? 0
        return ProcessFiles.directoryEntries("/proc/\(pid)/task").compactMap { tid in
            let base = "/proc/\(pid)/task/\(tid)"
            guard let comm = ProcessFiles.readText(base + "/comm"),
                  let status = ProcessFiles.readText(base + "/status"),
                  let stat = ProcessFiles.readText(base + "/stat") else { return nil }
            let cpus = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
                .map { parseCPUList($0.dropFirst("Cpus_allowed_list:".count)) } ?? []
            return PrimaryThread(name: comm.trimmingSpaces(), cpus: cpus,
                                 cpuShare: cpuShare(stat: stat, ticksPerSecond: ticks, uptime: uptime))
        }
    }

    /// utime+stime over the thread's lifetime, from /proc/…/stat.
    public static func cpuShare(stat: String, ticksPerSecond: Double, uptime: Double) -> Double {
        guard let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the comm field: state is fields[0]; utime, stime are stat
        // fields 14 and 15; starttime is field 22 (1-based in proc(5)).
        guard fields.count > 19, ticksPerSecond > 0,
              let user = Double(fields[11]), let system = Double(fields[12]), let start = Double(fields[19]) else { return 0 }
        let age = uptime - start / ticksPerSecond
        return age > 0.05 ? (user + system) / ticksPerSecond / age : 0
    }

    public static func ownAllowedCPUs() -> [Int] {
        ProcessFiles.readText("/proc/self/status")?.split(separator: "\n")
            .first { $0.hasPrefix("Cpus_allowed_list:") }
            .map { parseCPUList($0.dropFirst("Cpus_allowed_list:".count)) } ?? [0]
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s = s.dropLast() }
        return s
    }
}
