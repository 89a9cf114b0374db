import Foundation
import Testing
import ScopeTestSupport

/// `dpdkscope read`'s text lines, rendered straight into the output buffer,
/// against the lines recorded in Tests/Fixtures/read-text (by
/// make-read-text.sh, from the String-per-packet renderer this replaced):
/// every kind of line — TCP flags, IPv6 brackets, ICMP, fragments, ARP,
/// non-IP and each truncation — byte for byte. Skipped without the binary.
@Suite(.enabled(if: access(DPDKScopeBinary.path, X_OK) == 0, "dpdkscope is not built"))
struct ReadTextOutputTests {
    static let expected = GzipReaderTests.root + "/Tests/Fixtures/read-text"

    static func check(_ capture: String, against name: String) throws {
        let run = try GzipReadCommandTests.read([capture])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        let recorded = String(decoding: fileBytes(expected + "/" + name), as: UTF8.self)
        #expect(!recorded.isEmpty, "\(name) is missing")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        for (number, (actual, wanted)) in zip(lines, recorded.split(separator: "\n", omittingEmptySubsequences: false)).enumerated()
            where actual != wanted {
            Issue.record("\(name) line \(number + 1):\n  got  \(actual)\n  want \(wanted)")
            return
        }
        #expect(run.stdout == recorded, "\(name): \(lines.count) lines")
    }

    @Test func wholePackets() throws {
        try Self.check(GzipReaderTests.fixtures + "/headers.pcap", against: "headers.txt")
        try Self.check(GzipReaderTests.root + "/Tests/Fuzz/captures/extra.pcap", against: "extra.txt")
    }

    /// Snap lengths of 10, 40 and 60 bytes: non-IP lines and a malformed=
    /// reason on nearly every line.
    @Test func cutPackets() throws {
        let dir = TemporaryDirectory()
        for snap in [10, 40, 60] {
            let path = dir.file("snap\(snap).pcap")
            let cut = try ToolRunner.run(["editcap", "-s", "\(snap)", GzipReaderTests.fixtures + "/headers.pcap", path])
            #expect(cut.status == 0, "\(cut.stderr)")
            try Self.check(path, against: "headers-snap\(snap).txt")
        }
    }
}
