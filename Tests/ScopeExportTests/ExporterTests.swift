import Foundation
import Testing
@testable import ScopeExport

/// A backend that answers from a script, then accepts everything.
final class ScriptedTransport: ExportTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [ExportResult]
    private(set) var received: [[UInt8]] = []
    private(set) var attempts: [UInt64] = []
    var delay: useconds_t = 0

    init(_ script: [ExportResult] = []) { self.script = script }

    func send(_ batch: [[UInt8]]) -> ExportResult {
        if delay > 0 { usleep(delay) }
        lock.lock()
        defer { lock.unlock() }
        attempts.append(MonotonicClock.now)
        if !script.isEmpty {
            let result = script.removeFirst()
            if case .sent = result { received += batch }
            return result
        }
        received += batch
        return .sent(rejected: 0, message: nil)
    }

    var receivedNow: [[UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

private func settings(_ name: String = "test", batch: Int = 10) -> Exporter.Settings {
    .init(name: name, batchSize: batch, interval: 0.05, queueCapacity: 10_000, memoryBacklog: 10_000,
          retry: .init(initial: 0.05, maximum: 0.2))
}

@Suite("Exporter: queue, backlog, retries")
struct ExporterTests {
    @Test("a backend down for a while, then up: every record arrives once, in order, and nothing is dropped")
    func outage() throws {
        let directory = temporaryDirectory("outage")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let down = ExportResult.retry(after: nil, reason: "connection refused")
        let transport = ScriptedTransport(Array(repeating: down, count: 5))
        let logs = LogLines()
        let exporter = Exporter(settings: settings(), transport: transport,
                                spool: try Spool(directory: directory, maxBytes: 1 << 20), log: logs.append)
        exporter.start()
        for start in stride(from: 0, to: 200, by: 20) {
            exporter.enqueue(records(start..<start + 20))
            usleep(10_000)
        }
        exporter.close(timeout: 5)
        #expect(transport.receivedNow == records(0..<200))
        let counts = exporter.counters.snapshot
        #expect(counts.sent == 200 && counts.dropped == 0 && counts.retried == 5)
        #expect(counts.spooled > 0)
        #expect(logs.all.filter { $0.contains("connection refused") }.count == 1)
    }

    @Test("the exporter's thread carries the output's name in the kernel (top -H, perf)")
    func threadNameInTheKernel() throws {
        let exporter = Exporter(settings: settings("otlp_traces_nm"), transport: ScriptedTransport([]), spool: nil, log: { _ in })
        exporter.start()
        defer { exporter.close(timeout: 5) }
        func names() -> [String] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        let deadline = Date().addingTimeInterval(5)
        while !names().contains("otlp_traces_nm") && Date() < deadline { usleep(10_000) }
        #expect(names().contains("otlp_traces_nm"))
    }

    @Test("Retry-After is waited for before the next attempt")
    func retryAfter() {
        let transport = ScriptedTransport([.retry(after: 0.15, reason: "429 Too Many Requests")])
        let exporter = Exporter(settings: settings(), transport: transport, spool: nil, log: { _ in })
        exporter.start()
        exporter.enqueue(records(0..<10))
        exporter.close(timeout: 5)
        let attempts = transport.attempts
        #expect(attempts.count == 2)
        if attempts.count == 2 { #expect(attempts[1] - attempts[0] >= 150_000_000) }
        #expect(transport.receivedNow == records(0..<10))
    }

    @Test("rejected batches and partially rejected records are counted as dropped, not retried")
    func rejected() {
        let transport = ScriptedTransport([.rejected(reason: "400 Bad Request"), .sent(rejected: 3, message: "bad span")])
        let logs = LogLines()
        let exporter = Exporter(settings: settings(), transport: transport, spool: nil, log: logs.append)
        exporter.start()
        exporter.enqueue(records(0..<10))
        usleep(200_000)
        exporter.enqueue(records(10..<20))
        usleep(200_000)
        exporter.enqueue(records(20..<30))
        exporter.close(timeout: 5)
        let counts = exporter.counters.snapshot
        #expect(counts.dropped == 13 && counts.sent == 17 && counts.retried == 0)
        #expect(transport.receivedNow == records(10..<30))
        #expect(logs.all.contains { $0.contains("400 Bad Request") })
        #expect(logs.all.contains { $0.contains("rejected 3 of 10 records: bad span") })
    }

    @Test("a backend claiming more rejected records than it was sent, or a negative count, is clamped, not trusted")
    func impossibleRejectedCounts() {
        let transport = ScriptedTransport([.sent(rejected: 1 << 40, message: nil), .sent(rejected: -5, message: nil)])
        let exporter = Exporter(settings: settings(), transport: transport, spool: nil, log: { _ in })
        exporter.start()
        exporter.enqueue(records(0..<10))
        usleep(200_000)
        exporter.enqueue(records(10..<20))
        exporter.close(timeout: 5)
        let counts = exporter.counters.snapshot
        #expect(counts.dropped == 10 && counts.sent == 10)
    }

    @Test("at exit what could not be sent stays in the spool, and the next run sends it first")
    func replayAcrossRestart() throws {
        let directory = temporaryDirectory("replay")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let down = ExportResult.retry(after: nil, reason: "connection refused")
        let first = ScriptedTransport(Array(repeating: down, count: 1000))
        let exporter = Exporter(settings: settings(), transport: first,
                                spool: try Spool(directory: directory, maxBytes: 1 << 20), log: { _ in })
        exporter.start()
        exporter.enqueue(records(0..<35))
        exporter.close(timeout: 0.3)
        #expect(first.receivedNow.isEmpty)
        #expect(exporter.counters.snapshot.dropped == 0)

        let second = ScriptedTransport()
        let logs = LogLines()
        let next = Exporter(settings: settings(), transport: second,
                            spool: try Spool(directory: directory, maxBytes: 1 << 20), log: logs.append)
        #expect(logs.all.first?.contains("35 records in the spool") == true)
        next.start()
        next.enqueue(records(35..<50))
        next.close(timeout: 5)
        #expect(second.receivedNow == records(0..<50))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("a spool that fills drops the oldest records, counts them, and keeps the newest in order")
    func spoolFull() throws {
        let directory = temporaryDirectory("full")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let probe = try Spool(directory: directory + "-probe", maxBytes: 1 << 20)
        _ = try probe.append(records(0..<10))
        let batchBytes = probe.bytes
        try? FileManager.default.removeItem(atPath: directory + "-probe")

        let down = ExportResult.retry(after: nil, reason: "503 Service Unavailable")
        let transport = ScriptedTransport(Array(repeating: down, count: 1000))
        let logs = LogLines()
        let exporter = Exporter(settings: settings(), transport: transport,
                                spool: try Spool(directory: directory, maxBytes: batchBytes * 4), log: logs.append)
        exporter.start()
        for start in stride(from: 0, to: 100, by: 10) {
            exporter.enqueue(records(start..<start + 10))
            usleep(80_000)
        }
        exporter.close(timeout: 0.2)
        let counts = exporter.counters.snapshot
        #expect(counts.dropped == 60)
        #expect(logs.all.contains { $0.contains("dropped the 10 oldest records") })
        let left = try Spool(directory: directory, maxBytes: batchBytes * 4)
        var seen: [[UInt8]] = []
        while let batch = try left.oldest() {
            seen += batch
            try left.removeOldest()
        }
        #expect(seen == records(60..<100))
    }

    @Test("without a spool, records left at exit are counted as dropped; a full queue refuses and counts")
    func memoryOnly() {
        let transport = ScriptedTransport(Array(repeating: .retry(after: nil, reason: "down"), count: 1000))
        let exporter = Exporter(settings: settings(), transport: transport, spool: nil, log: { _ in })
        exporter.start()
        exporter.enqueue(records(0..<25))
        exporter.close(timeout: 0.2)
        #expect(exporter.counters.snapshot.dropped == 25)
        exporter.enqueue(records(0..<5))  // closed: refused
        #expect(exporter.counters.snapshot.dropped == 30)

        let slow = ScriptedTransport()
        let small = Exporter(settings: .init(name: "small", batchSize: 10, interval: 0.05, queueCapacity: 10),
                             transport: slow, spool: nil, log: { _ in })
        small.enqueue(records(0..<15))  // not started: the queue alone holds 10
        #expect(small.counters.snapshot.dropped == 5)
        small.start()
        small.close(timeout: 5)
        #expect(slow.receivedNow == records(0..<10))
    }

    @Test("a slow backend never blocks the caller")
    func slowBackend() {
        let transport = ScriptedTransport()
        transport.delay = 300_000
        let exporter = Exporter(settings: settings(batch: 500), transport: transport, spool: nil, log: { _ in })
        exporter.start()
        let start = MonotonicClock.now
        for start in stride(from: 0, to: 1000, by: 10) { exporter.enqueue(records(start..<start + 10)) }
        #expect(MonotonicClock.now - start < 100_000_000)
        exporter.close(timeout: 10)
        #expect(transport.receivedNow == records(0..<1000))
    }

    @Test("a slow backend fills the spool, not the drop counter: nothing is refused while the spool has room, and every record arrives once, in order")
    func slowBackendSpools() throws {
        let directory = temporaryDirectory("slow")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let slow = ScriptedTransport()
        slow.delay = 100_000  // 100 ms a request: 100 records a second
        let small = Exporter.Settings(name: "slow", batchSize: 10, interval: 0.05, queueCapacity: 2000,
                                      retry: .init(initial: 0.05, maximum: 0.2))
        let exporter = Exporter(settings: small, transport: slow,
                                spool: try Spool(directory: directory, maxBytes: 1 << 22), log: { _ in })
        exporter.start()
        // 2,000 records a second for 1.5 s: the queue alone is full after a second. The
        // relief thread, which acts past half the queue, may be starved for half a second.
        for start in stride(from: 0, to: 3000, by: 10) {
            exporter.enqueue(records(start..<start + 10))
            usleep(5_000)
        }
        let during = exporter.counters.snapshot
        #expect(during.dropped == 0)
        #expect(during.spooled > 0)
        exporter.close(timeout: 2)  // no request (100 ms) is abandoned: none is sent twice
        #expect(exporter.counters.snapshot.dropped == 0)

        let fast = ScriptedTransport()
        let next = Exporter(settings: small, transport: fast,
                            spool: try Spool(directory: directory, maxBytes: 1 << 22), log: { _ in })
        next.start()
        next.close(timeout: 10)
        let delivered = slow.receivedNow + fast.receivedNow
        #expect(delivered.count == 3000)
        #expect(delivered.elementsEqual(records(0..<3000)))  // once each, in order
    }

    @Test("newline-separated buffers are split on the output's thread, in order; a full queue refuses a buffer whole")
    func ndjsonBuffers() {
        let transport = ScriptedTransport()
        let exporter = Exporter(settings: settings(batch: 7), transport: transport, spool: nil, log: { _ in })
        exporter.start()
        let joined = records(0..<10).map { $0 + [0x0A] }.joined()
        exporter.enqueue(ndjson: Array(joined))
        exporter.enqueue(records(10..<12))
        exporter.enqueue(ndjson: Array(records(12..<15).map { $0 + [0x0A] }.joined()) + records(15..<16)[0])  // no final newline
        exporter.close(timeout: 5)
        #expect(transport.receivedNow == records(0..<16))

        let small = Exporter(settings: .init(name: "small", batchSize: 10, interval: 0.05, queueCapacity: 12),
                             transport: ScriptedTransport(), spool: nil, log: { _ in })
        small.enqueue(ndjson: Array(joined))       // 10 lines: taken
        small.enqueue(ndjson: Array(joined))       // 10 more do not fit: all refused
        small.enqueue(records(0..<3))             // 2 of 3 fit
        #expect(small.counters.snapshot.dropped == 11)
    }
}
