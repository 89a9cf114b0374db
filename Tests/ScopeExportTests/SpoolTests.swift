import Foundation
import Testing
@testable import ScopeExport

func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "dpdkscope-export-\(name)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    return path
}

/// Records of equal size, so a bound in batches is exact.
func records(_ range: Range<Int>) -> [[UInt8]] { range.map { Array(("event-" + String(1000 + $0)).utf8) } }

@Suite("On-disk spool")
struct SpoolTests {
    @Test("batches come back in the order they went in, and files are 0600 in a 0700 directory")
    func order() throws {
        let directory = temporaryDirectory("order")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try Spool(directory: directory, maxBytes: 1 << 20)
        for start in stride(from: 0, to: 50, by: 10) { #expect(try spool.append(records(start..<start + 10)) == 0) }
        #expect(spool.records == 50)
        var seen: [[UInt8]] = []
        while let batch = try spool.oldest() {
            seen += batch
            try spool.removeOldest()
        }
        #expect(seen == records(0..<50))
        #expect(spool.isEmpty && spool.bytes == 0)
        var status = stat()
        #expect(stat(directory, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o700)
        _ = try spool.append(records(0..<1))
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first)
        #expect(stat(directory + "/" + name, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
    }

    @Test("past its bound the oldest batches are dropped and counted, the newest kept")
    func bound() throws {
        let directory = temporaryDirectory("bound")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let one = try Spool(directory: directory + "-probe", maxBytes: 1 << 20)
        _ = try one.append(records(0..<10))
        let batchBytes = one.bytes
        try? FileManager.default.removeItem(atPath: directory + "-probe")

        let spool = try Spool(directory: directory, maxBytes: batchBytes * 3)
        var dropped = 0
        for start in stride(from: 0, to: 60, by: 10) { dropped += try spool.append(records(start..<start + 10)) }
        #expect(dropped == 30)
        #expect(spool.records == 30)
        #expect(spool.bytes <= batchBytes * 3)
        #expect(try spool.oldest() == records(30..<40))
        // A batch bigger than the whole spool is refused whole.
        #expect(try spool.append(records(0..<100)) == 100)
        #expect(spool.records == 30)
    }

    @Test("a restart replays what the last run left, in order, and forgets half-written files")
    func restart() throws {
        let directory = temporaryDirectory("restart")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let spool = try Spool(directory: directory, maxBytes: 1 << 20)
            for start in stride(from: 0, to: 120, by: 10) { _ = try spool.append(records(start..<start + 10)) }
            try spool.removeOldest()
        }
        // What a crash mid-write leaves, and a truncated batch.
        try Data("DSSPOOL1garbage".utf8).write(to: URL(fileURLWithPath: directory + "/00000000000000000099.batch.tmp"))
        let spool = try Spool(directory: directory, maxBytes: 1 << 20)
        #expect(spool.records == 110)
        var seen: [[UInt8]] = []
        while let batch = try spool.oldest() {
            seen += batch
            try spool.removeOldest()
        }
        #expect(seen == records(10..<120))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        // Numbering goes on after the old files: new batches sort after them.
        _ = try spool.append(records(0..<1))
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first)
        #expect(name == "00000000000000000013.batch")
    }

    @Test("Retry-After as seconds or an HTTP date; back-off doubles up to its maximum")
    func retryPolicy() {
        #expect(RetryPolicy.parseRetryAfter("7") == 7)
        #expect(RetryPolicy.parseRetryAfter("junk") == nil)
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == 30)
        let policy = RetryPolicy(initial: 1, maximum: 30)
        #expect((1...7).map { policy.delay(afterFailures: $0, retryAfter: nil) } == [1, 2, 4, 8, 16, 30, 30])
        #expect(policy.delay(afterFailures: 1, retryAfter: 5) == 5)
        #expect(policy.delay(afterFailures: 4, retryAfter: 5) == 8)
        #expect(policy.delay(afterFailures: 1, retryAfter: 3600) == 30)
    }
}
