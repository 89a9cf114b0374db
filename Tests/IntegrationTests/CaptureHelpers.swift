import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// tshark and capinfos are the independent oracles for what a file holds.
enum Oracle {
    /// capinfos must read the whole file with nothing on stderr (no
    /// warning), and tshark must dissect it (the first 100 000 packets:
    /// full-rate captures hold millions, and capinfos already walked them all).
    static func expectClean(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let info = try Harness.run(["capinfos", path])
        #expect(info.status == 0, "capinfos failed on \(path): \(info.stderr)", sourceLocation: sourceLocation)
        #expect(info.stderr.isEmpty, "capinfos warned on \(path): \(info.stderr)", sourceLocation: sourceLocation)
        let read = try Harness.run(["tshark", "-r", path, "-c", "100000", "-T", "fields", "-e", "frame.number"])
        let warnings = read.stderr.split(separator: "\n").filter { !$0.contains("Running as user \"root\"") }
        #expect(read.status == 0 && warnings.isEmpty, "tshark on \(path): \(read.stderr)", sourceLocation: sourceLocation)
    }

    /// One row per packet: the requested fields, tab-separated.
    static func fields(_ path: String, _ fields: [String], filter: String? = nil, options: [String] = []) throws -> [[String]] {
        var args = ["tshark", "-r", path] + options + ["-T", "fields"]
        if let filter { args += ["-Y", filter] }
        for field in fields { args += ["-e", field] }
        let result = try Harness.run(args)
        return result.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    static func count(_ path: String, filter: String? = nil) throws -> Int {
        guard filter != nil else {
            // capinfos counts millions of packets in a blink; tshark does not.
            let info = try Harness.run(["capinfos", "-c", "-M", path]).stdout
            let line = info.split(separator: "\n").first { $0.hasPrefix("Number of packets:") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        }
        return try fields(path, ["frame.number"], filter: filter).count
    }

    /// MD5 of each packet's bytes, in file order.
    static func packetHashes(_ path: String) throws -> [String] {
        try fields(path, ["frame.md5_hash"], options: ["-o", "frame.generate_md5_hash:TRUE"]).map { $0.first ?? "" }
    }
}

/// A temporary directory removed at the end of a test.
struct ScratchDirectory {
    let path: String

    init() {
        path = "/tmp/dpdkscope-it-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(path, 0o755)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The last stderr line of `capture --json-summary`.
func captureSummary(_ output: Harness.Output) throws -> [String: Any] {
    let last = try #require(output.stderr.split(separator: "\n").last, "no summary: \(output.stderr)")
    return try jsonObject(last)
}

func captureQueues(_ summary: [String: Any]) -> [[String: Any]] {
    summary["queues"] as? [[String: Any]] ?? []
}

/// Waits (20 s at most) until a capture file holds `bytes` (64 KiB: the
/// capture got past attaching and enabling). A loaded machine starts a
/// secondary slowly, and a primary killed while it answers a pdump request
/// leaves DPDK's own request waiting 5 s: not what a kill test means to test.
func waitForData(_ path: String, bytes: Int = 65_536) {
    var info = stat()
    for _ in 0..<400 where stat(path, &info) != 0 || info.st_size < bytes { usleep(50_000) }
}
