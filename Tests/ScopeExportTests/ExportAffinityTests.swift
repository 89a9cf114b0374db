import Foundation
import Testing
@testable import ScopeExport

/// Export threads off the capture loops' CPUs: the choice, and a started
/// Exporter's thread as the kernel reports it.
@Suite struct ExportAffinityTests {
    @Test func spareCPUsAreThoseNeitherCaptureNorThePrimaryTakes() {
        // 8 CPUs, the primary polls 1 and 2, capture workers on 3 and 4.
        #expect(ExportAffinity.spareCPUs(allowed: Array(0..<8), capture: [3, 4], primaryBusy: [1, 2]) == [0, 5, 6, 7])
        // The main lcore's thread captures (no workers).
        #expect(ExportAffinity.spareCPUs(allowed: [0, 1, 2, 3], capture: [3], primaryBusy: [1]) == [0, 2])
        // Two CPUs: the primary polls one, the capture loop has the other: none to spare.
        #expect(ExportAffinity.spareCPUs(allowed: [0, 1], capture: [1], primaryBusy: [0]) == nil)
        #expect(ExportAffinity.spareCPUs(allowed: [5], capture: [5], primaryBusy: []) == nil)
        // CPUs outside the allowed ones are never offered.
        #expect(ExportAffinity.spareCPUs(allowed: [2, 3], capture: [0], primaryBusy: [9]) == [2, 3])
    }

    static func allowedList(_ status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
            .map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) }
    }

    /// /proc/self/task/*/status of the threads whose comm is `name`.
    static func threadStatuses(named name: String) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            guard let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                  comm.trimmingCharacters(in: .whitespacesAndNewlines) == name else { return nil }
            return try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8)
        }
    }

    @Test func anExporterStartedInsideRunsOnlyOnTheGivenCPUAndTheCallerGetsItsOwnBack() throws {
        let own = ExportAffinity.current()
        try #require(own.count >= 2, "needs two CPUs to tell a pinned thread from an unpinned one; this thread has \(own)")
        let chosen = own.last!
        let exporter = Exporter(settings: .init(name: "affinity_t", batchSize: 4, interval: 0.05),
                                transport: NoTransport(), spool: nil, log: { _ in })
        ExportAffinity.inherited(by: [chosen]) {
            #expect(ExportAffinity.current() == [chosen])
            exporter.start()
        }
        defer { exporter.close(timeout: 1) }
        #expect(ExportAffinity.current() == own)
        var statuses: [String] = []
        for _ in 0..<200 where statuses.isEmpty {  // the thread names itself once it runs
            statuses = Self.threadStatuses(named: "affinity_t")
            if statuses.isEmpty { usleep(5_000) }
        }
        try #require(statuses.count == 1)
        #expect(Self.allowedList(statuses[0]) == "\(chosen)")
        // And an exporter started outside keeps the caller's CPUs.
        let free = Exporter(settings: .init(name: "affinity_f", batchSize: 4, interval: 0.05),
                            transport: NoTransport(), spool: nil, log: { _ in })
        free.start()
        defer { free.close(timeout: 1) }
        var others: [String] = []
        for _ in 0..<200 where others.isEmpty {
            others = Self.threadStatuses(named: "affinity_f")
            if others.isEmpty { usleep(5_000) }
        }
        try #require(others.count == 1)
        #expect(Self.allowedList(others[0]) != "\(chosen)")
    }

    @Test func noCPUsLeavesTheThreadAsItIs() {
        let own = ExportAffinity.current()
        #expect(!own.isEmpty)
        #expect(ExportAffinity.inherited(by: nil) { ExportAffinity.current() } == own)
        #expect(!ExportAffinity.set([]) && ExportAffinity.current() == own)
    }
}

private final class NoTransport: ExportTransport {
    func send(_ batch: [[UInt8]]) -> ExportResult { .sent(rejected: 0, message: nil) }
}
