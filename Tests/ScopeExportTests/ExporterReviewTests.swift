import Foundation
import Testing
@testable import ScopeExport

#if canImport(Glibc)
import Glibc
#endif

/// A backend that takes `seconds` to answer every request (a receiver
/// that reads and never replies).
final class StuckTransport: ExportTransport, @unchecked Sendable {
    let seconds: Double
    init(seconds: Double) { self.seconds = seconds }
    func send(_ batch: [[UInt8]]) -> ExportResult {
        usleep(useconds_t(seconds * 1e6))
        return .retry(after: nil, reason: "timed out")
    }
}

@Suite("Exporter and spool: review fixes")
struct ExporterReviewTests {
    @Test("many pending records go out in linear time (no removeFirst per batch)")
    func pendingIsNotQuadratic() throws {
        let transport = ScriptedTransport()
        let exporter = Exporter(settings: .init(name: "t", batchSize: 1, interval: 0.01, queueCapacity: 300_000,
                                                memoryBacklog: 300_000),
                                transport: transport, spool: nil, log: { _ in })
        exporter.enqueue((0..<200_000).map { [UInt8(truncatingIfNeeded: $0)] })
        let start = Date()
        exporter.start()
        exporter.close(timeout: 60)
        #expect(exporter.counters.snapshot.sent == 200_000)
        #expect(Date().timeIntervalSince(start) < 10, "\(Date().timeIntervalSince(start)) s")
    }

    @Test("close returns within its timeout even when the backend never answers; records stay in the spool")
    func closeIsBounded() throws {
        let directory = temporaryDirectory("stuck")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let exporter = Exporter(settings: .init(name: "t", batchSize: 10, interval: 0.01),
                                transport: StuckTransport(seconds: 20),
                                spool: try Spool(directory: directory, maxBytes: 1 << 20), log: { _ in })
        exporter.start()
        exporter.enqueue(records(0..<100))
        usleep(200_000)
        let start = Date()
        exporter.close(timeout: 1)
        #expect(Date().timeIntervalSince(start) < 4, "close took \(Date().timeIntervalSince(start)) s")
        // Everything not sent is on disk for the next start.
        let spool = try Spool(directory: directory, maxBytes: 1 << 20)
        #expect(spool.records == 100)
    }

    @Test("an unreadable spool file counts its records as dropped")
    func unreadableSpoolFileIsCounted() throws {
        let directory = temporaryDirectory("unreadable")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let spool = try Spool(directory: directory, maxBytes: 1 << 20)
            _ = try spool.append(records(0..<10))
            _ = try spool.append(records(10..<20))
        }
        // The first batch loses its tail (a disk error, a hand edit).
        let first = directory + "/" + (try FileManager.default.contentsOfDirectory(atPath: directory).sorted().first!)
        let size = try FileManager.default.attributesOfItem(atPath: first)[.size] as! Int
        truncate(first, off_t(size - 5))
        let transport = ScriptedTransport()
        let exporter = Exporter(settings: .init(name: "t", batchSize: 10, interval: 0.01), transport: transport,
                                spool: try Spool(directory: directory, maxBytes: 1 << 20), log: { _ in })
        exporter.start()
        exporter.close(timeout: 5)
        #expect(transport.receivedNow == records(10..<20))
        #expect(exporter.counters.snapshot.dropped == 10)
    }

    @Test("a damaged record count in a header does not inflate the totals: the file is dropped and counted")
    func damagedHeaderIsBounded() throws {
        let directory = temporaryDirectory("header")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let spool = try Spool(directory: directory, maxBytes: 1 << 20)
            _ = try spool.append(records(0..<3))
        }
        let file = directory + "/" + (try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".batch") }!)
        let handle = try #require(FileHandle(forUpdatingAtPath: file))
        try handle.seek(toOffset: 8)
        handle.write(Data([0xFF, 0xFF, 0xFF, 0x7F]))
        try handle.close()
        let spool = try Spool(directory: directory, maxBytes: 1 << 20)
        // Not 2^31: at most what 54 bytes can hold (4 bytes a record).
        #expect(spool.records == 0 && spool.takeLost() == 10, "\(spool.records)")
    }

    @Test("a second spool on the same directory is refused while the first holds it")
    func spoolDirectoryIsLocked() throws {
        let directory = temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var first: Spool? = try Spool(directory: directory, maxBytes: 1 << 20)
        #expect(throws: SpoolInUse.self) { _ = try Spool(directory: directory, maxBytes: 1 << 20) }
        do {
            _ = try Spool(directory: directory, maxBytes: 1 << 20)
        } catch {
            #expect("\(error)".contains("in use by another process"), "\(error)")
        }
        first?.release()
        first = nil
        #expect((try? Spool(directory: directory, maxBytes: 1 << 20)) != nil)
    }
}
