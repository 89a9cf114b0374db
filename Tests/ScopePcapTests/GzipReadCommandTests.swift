import Foundation
import Testing
import ScopeTestSupport

/// `dpdkscope read` on .pcap.gz / .pcapng.gz end to end: the same output as
/// the uncompressed file; damaged gzip is one stderr line and the exit code
/// of any other read error. Skipped when the binary is not built
/// (DPDKSCOPE_BIN overrides where it is looked for).
@Suite(.enabled(if: access(DPDKScopeBinary.path, X_OK) == 0, "dpdkscope is not built"))
struct GzipReadCommandTests {
    static var binary: String { DPDKScopeBinary.path }

    static func read(_ arguments: [String], stdin: String? = nil) throws -> ToolResult {
        let command = stdin == nil ? [binary, "read"] + arguments
                                   : ["/bin/sh", "-c", "exec \"$0\" read \"$@\" < \"$STDIN_FILE\"", binary] + arguments
        let child = try Subprocess(command, environment: ["STDIN_FILE": stdin ?? "", "TZ": "UTC"])
        let status = child.wait(timeout: 60)
        return ToolResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// Output without flow ids, which are hashed with a per-run seed.
    static func stable(_ output: String) -> String {
        output.replacingOccurrences(of: #""flow":\{"id":"[0-9a-f]+""#, with: #""flow":{"id":"""#, options: .regularExpression)
    }

    /// http.pcap as classic pcap and as pcapng (editcap), each compressed.
    static func inputs(in dir: TemporaryDirectory) throws -> [(plain: String, gz: String)] {
        let pcap = try GzipReaderTests.compressed(GzipReaderTests.fixtures + "/http.pcap", in: dir, name: "http.pcap")
        let converted = dir.file("converted")
        #expect(try ToolRunner.run(["editcap", "-F", "pcapng", pcap.plain, converted]).status == 0)
        let pcapng = try GzipReaderTests.compressed(converted, in: dir, name: "http.pcapng")
        return [pcap, pcapng]
    }

    @Test func compressedInputPrintsTheSame() throws {
        let dir = TemporaryDirectory()
        for (plain, gz) in try Self.inputs(in: dir) {
            for options in [["--json"], [], ["--flows", "--json"], ["--stats", "--json"]] {
                let expected = try Self.read([plain] + options), actual = try Self.read([gz] + options)
                #expect(expected.status == 0 && actual.status == 0, "\(actual.stderr)")
                #expect(actual.stderr.isEmpty, "\(gz) \(options): \(actual.stderr)")
                #expect(!expected.stdout.isEmpty && Self.stable(actual.stdout) == Self.stable(expected.stdout), "\(gz) \(options)")
            }
            let packets = try ToolRunner.capinfos(["-c", "-M", plain]).stdout
            #expect(packets.contains("\(try Self.read([gz, "--json"]).lines.count)"), "capinfos: \(packets)")
            // From a pipe too: nothing depends on seeking or on the name.
            #expect(try Self.read(["-", "--json"], stdin: gz).stdout == (try Self.read([plain, "--json"]).stdout))
        }
    }

    @Test func damagedGzipFailsInOneLineLikeOtherReadErrors() throws {
        let dir = TemporaryDirectory()
        let (plain, gz) = try Self.inputs(in: dir)[0]
        let bytes = fileBytes(gz)
        let whole = try Self.read([plain]).lines.count

        let truncated = dir.file("truncated.pcap.gz")
        writeBytes(Array(bytes[..<(bytes.count / 2)]), to: truncated)
        let cut = try Self.read([truncated])
        #expect(cut.status == 1 && cut.stderr.split(separator: "\n").count == 1, "\(cut.stderr)")
        #expect(cut.stderr.hasPrefix("dpdkscope: \(truncated): gzip data ends early") && cut.stderr.contains("truncated .gz file?"))
        #expect(cut.lines.count > 0 && cut.lines.count < whole, "packets before the cut are still printed")

        let corrupt = dir.file("corrupt.pcap.gz")
        var damaged = bytes
        damaged[bytes.count - 6] ^= 0xFF  // CRC-32: the data itself decompresses
        writeBytes(damaged, to: corrupt)
        let bad = try Self.read([corrupt, "--json"])
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        #expect(bad.stderr == "dpdkscope: \(corrupt): corrupt gzip data at compressed offset \(bytes.count - 4): incorrect data check\n")

        // The same exit status as a corrupt capture file that is not compressed.
        let brokenPcap = dir.file("broken.pcap")
        var pcapBytes = fileBytes(plain)
        pcapBytes.replaceSubrange(32..<36, with: [0xFF, 0xFF, 0xFF, 0xFF])  // first record's captured length
        writeBytes(pcapBytes, to: brokenPcap)
        let broken = try Self.read([brokenPcap])
        #expect(broken.status == bad.status && broken.stderr.split(separator: "\n").count == 1, "\(broken.stderr)")
    }
}
