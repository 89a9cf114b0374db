import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `dpdkscope read` on every link type, checked against tshark run on the
/// same file: the captures Linux records (-i any: Linux cooked v1/v2) and
/// the ones rewritten from a real Ethernet capture (make-linktypes.sh).
@Suite(.enabled(if: access(Harness.dpdkscope, X_OK) == 0 && access("/usr/bin/tshark", X_OK) == 0,
                "dpdkscope is not built or tshark is missing"))
struct ReadLinkTypesTests {
    static let directory = Harness.packageRoot + "/Tests/Fixtures/captures/linktypes"
    static let files = ["sll.pcap", "sll2.pcap", "null-le.pcap", "null-be.pcap", "loop.pcap", "ppp.pcap",
                        "ppp-hdlc.pcap", "pppoe.pcap", "chdlc.pcap", "raw.pcap", "ipv4.pcap", "ipv6.pcap"]

    /// Packets, TCP/UDP conversations and HTTP responses: tshark's numbers,
    /// with nothing on stderr and exit 0.
    @Test(arguments: files)
    func countsAgreeWithTshark(file: String) throws {
        let path = Self.directory + "/" + file
        let packets = try Harness.dpdkscope(["read", path])
        #expect(packets.status == 0 && packets.stderr.isEmpty, "\(packets.stderr)")
        #expect(packets.stdout.split(separator: "\n").count == (try Oracle.count(path, filter: "ip or ipv6")))

        let flows = try Harness.dpdkscope(["read", path, "--flows", "--json"])
        let finals = try flows.stdout.split(separator: "\n").map { try jsonObject($0) }
            .filter { ($0["flow"] as? [String: Any])?["final"] as? Bool == true }
        for proto in ["tcp", "udp"] {
            let ours = finals.filter { ($0["network"] as? [String: Any])?["transport"] as? String == proto }.count
            let conversations = try Harness.run(["tshark", "-r", path, "-q", "-z", "conv,\(proto)"]).stdout
                .components(separatedBy: "<->").count - 1
            #expect(ours == conversations, "\(file) \(proto)")
        }

        let analyzed = try Harness.dpdkscope(["read", path, "--analyze", "--json"])
        #expect(analyzed.status == 0, "\(analyzed.stderr)")
        let responses = try analyzed.stdout.split(separator: "\n").map { try jsonObject($0) }
            .compactMap { (($0["http"] as? [String: Any])?["response"] as? [String: Any])?["status_code"] as? Int }
        let tsharkResponses = try Oracle.fields(path, ["http.response.code"], filter: "http.response").map { Int($0[0]) }
        #expect(responses.sorted() == tsharkResponses.compactMap { $0 }.sorted(), "\(file)")
        #expect(!responses.isEmpty)
    }

    /// A pcapng mixing link types: the decodable interfaces are read, the
    /// other is named once on stderr with its count, and the exit is 0.
    @Test func mixedPcapngWarnsOnce() throws {
        let path = Self.directory + "/mixed.pcapng"
        let result = try Harness.dpdkscope(["read", path, "--stats"])
        let skipped = try Oracle.count(path, filter: "frame.interface_id == 3")
        #expect(skipped > 0)
        #expect(result.status == 0)
        #expect(result.stderrLines.map(String.init) == ["dpdkscope: warning: skipped \(skipped) packets with unsupported link type 147 (USER0)"])
        #expect(result.stdout.contains(" decoded=\(try Oracle.count(path, filter: "ip or ipv6")) "), "\(result.stdout)")
        #expect(result.stdout.contains(" unsupported_link_type=\(skipped)"), "\(result.stdout)")
    }

    /// -f on raw IP: the file's LINKTYPE_RAW (101) is compiled as libpcap's
    /// DLT_RAW (it refused 101 as an unknown data link type).
    @Test(arguments: ["raw.pcap", "sll.pcap", "sll2.pcap", "chdlc.pcap"])
    func filterOnOtherLinks(file: String) throws {
        let path = Self.directory + "/" + file
        let result = try Harness.dpdkscope(["read", path, "-f", "udp"])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == (try Oracle.count(path, filter: "udp")))
    }

    /// Nothing decodable at all: one error line, exit 1, no output.
    @Test func onlyUnsupportedIsAnError() throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.directory + "/lo.pcap")))
        bytes[20] = 147  // the header's link type: USER0
        let path = "/tmp/dpdkscope-user0-\(getpid()).pcap"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let result = try Harness.dpdkscope(["read", path, "--analyze"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.map(String.init) == ["dpdkscope: no packet could be decoded: all \(try Oracle.count(path)) have unsupported link type 147 (USER0)"])
    }

    /// IPv4 header checksums zeroed (as offloading leaves them): counted,
    /// analysed anyway; dropped with --verify-checksums.
    @Test func badChecksumsAreAnalysedUnlessVerified() throws {
        let source = Self.directory + "/lo.pcap"
        let path = "/tmp/dpdkscope-badsum-\(getpid()).pcap"
        try Data(Self.zeroingIPv4Checksums(try [UInt8](Data(contentsOf: URL(fileURLWithPath: source))))).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let bad = try Oracle.fields(path, ["frame.number"], filter: "ip.checksum.status == \"Bad\"",
                                    options: ["-o", "ip.check_checksum:TRUE"]).count
        #expect(bad == (try Oracle.count(source, filter: "ip")))

        let reference = try Harness.dpdkscope(["read", source, "--analyze"])
        let lenient = try Harness.dpdkscope(["read", path, "--analyze"])
        #expect(lenient.status == 0 && lenient.stdout == reference.stdout && !reference.stdout.isEmpty)
        let stats = try jsonObject(try #require(try Harness.dpdkscope(["read", path, "--stats", "--json"]).stdout.split(separator: "\n").last))
        #expect(stats["ipv4_checksum_errors"] as? Int == bad)
        #expect(stats["malformed"] as? Int == 0)

        let strict = try Harness.dpdkscope(["read", path, "--analyze", "--verify-checksums"])
        #expect(strict.status == 0)
        #expect(strict.stdout.split(separator: "\n").map { $0.contains("[::1]") } == [true], "\(strict.stdout)")
        let strictStats = try jsonObject(try #require(try Harness.dpdkscope(["read", path, "--stats", "--json", "--verify-checksums"]).stdout.split(separator: "\n").last))
        #expect(strictStats["ipv4_checksum_errors"] as? Int == bad)
        #expect(strictStats["malformed_badIPv4Checksum"] as? Int == bad)
    }

    /// A little-endian Ethernet pcap with every IPv4 header checksum set to 0.
    static func zeroingIPv4Checksums(_ file: [UInt8]) -> [UInt8] {
        var bytes = file
        var offset = 24
        while offset + 16 <= bytes.count {
            let length = (0..<4).reduce(0) { $0 | Int(bytes[offset + 8 + $1]) << (8 * $1) }
            let frame = offset + 16
            if length >= 34 && bytes[frame + 12] == 0x08 && bytes[frame + 13] == 0x00 {
                bytes[frame + 24] = 0
                bytes[frame + 25] = 0
            }
            offset = frame + length
        }
        return bytes
    }
}
