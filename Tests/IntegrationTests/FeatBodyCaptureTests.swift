import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--include-body-for` / `--max-body-bytes` (Packetbeat's include_body_for)
/// through `read` on real nginx traffic (Tests/Fixtures/captures/
/// make-http-bodies.sh): one keep-alive connection with JSON, HTML and plain
/// text responses and a JSON POST answered 405 in HTML. Needs only the binary.
@Suite(.enabled(if: access(Harness.dpdkscope, X_OK) == 0, "dpdkscope is not built"))
struct FeatBodyCaptureTests {
    static let capture = Harness.packageRoot + "/Tests/Fixtures/captures/http-bodies.pcap"
    /// What nginx served as data.json (557 bytes): its start, enough for any cap used here.
    static let dataJSON = (1...20).map { "{\"id\":\($0),\"name\":\"item \($0)\"}," }.joined(separator: "").prefix(200)

    /// Per transaction in order: (url.path, request body, response body); a
    /// body is nil when no content was kept.
    func bodies(_ options: [String]) throws -> [(path: String, request: String?, response: String?, sizes: [Int])] {
        let run = try Harness.dpdkscope(["read", Self.capture, "--proto", "http", "--json"] + options)
        #expect(run.status == 0, "\(run.stderr)")
        return try run.stdout.split(separator: "\n").map { line in
            let event = try jsonObject(line)
            let http = try #require(event["http"] as? [String: Any])
            let request = try #require((http["request"] as? [String: Any])?["body"] as? [String: Any])
            let response = try #require((http["response"] as? [String: Any])?["body"] as? [String: Any])
            let path = try #require((event["url"] as? [String: Any])?["path"] as? String)
            return (path, request["content"] as? String, response["content"] as? String,
                    [request["bytes"] as? Int ?? -1, response["bytes"] as? Int ?? -1])
        }
    }

    @Test func onlyListedTypesAreKeptUpToTheCap() throws {
        let json = try bodies(["--include-body-for", "application/json", "--max-body-bytes", "64"])
        #expect(json.map(\.path) == ["/data.json", "/small.json", "/page.html", "/notes.txt", "/data.json"])
        // Body sizes are the wire's, whatever is kept.
        #expect(json.map(\.sizes) == [[0, 557], [0, 12], [0, 46], [0, 16], [27, 157]])
        #expect(json[0].response == "{\"items\":[" + Self.dataJSON.prefix(54))
        #expect(json[0].response?.utf8.count == 64)
        #expect(json[1].response == "{\"ok\":true}\n")  // "application/json; charset=utf-8" matches
        #expect(json[2].response == nil && json[3].response == nil)
        #expect(json[4].request == "{\"query\":\"swift\",\"limit\":3}" && json[4].response == nil)
    }

    @Test func prefixesAreCaseInsensitiveAndRepeatable() throws {
        let text = try bodies(["--include-body-for", "Text/"])
        #expect(text.prefix(4).map(\.response) == [nil, nil, "<html><body>dpdkscope body page</body></html>\n", "plain text body\n"])
        let page405 = try #require(text.last?.response)
        #expect(page405.utf8.count == 157 && page405.contains("405 Not Allowed"))
        #expect(text.allSatisfy { $0.request == nil })
        let both = try bodies(["--include-body-for", "text/plain", "--include-body-for", "application/json"])
        #expect(both.map { $0.response != nil } == [true, true, false, true, false])
        #expect(both[0].response?.utf8.count == 557)  // under the default cap (4096): whole
    }

    @Test func withoutTheOptionNoBodyIsKept() throws {
        let none = try bodies([])
        #expect(none.count == 5 && none.allSatisfy { $0.request == nil && $0.response == nil })
        let zero = try bodies(["--include-body-for", "application/json", "--max-body-bytes", "0"])
        #expect(zero[0].response ?? "" == "" && zero[0].sizes == [0, 557])
    }

    @Test func badValuesAreOneLineAndExitTwo() throws {
        let cap = 10 << 20
        for (command, options) in [("read", ["--max-body-bytes=-1"]), ("read", ["--max-body-bytes", "\(cap + 1)"]),
                                   ("read", ["--include-body-for", " "]), ("watch", ["--proto", "http", "--max-body-bytes", "\(cap + 1)"])] {
            let arguments = command == "read" ? ["read", Self.capture, "--proto", "http"] : ["watch"]
            let run = try Harness.dpdkscope(arguments + options)
            #expect(run.status == 2 && run.stderrLines.count == 1, "\(command) \(options): \(run.stderr)")
            let flag = options.last { $0.hasPrefix("--") }?.split(separator: "=").first ?? ""
            #expect(!flag.isEmpty && run.stderr.contains(flag), "\(run.stderr)")
        }
        let atCap = try Harness.dpdkscope(["read", Self.capture, "--proto", "http", "--max-body-bytes", "\(cap)"])
        #expect(atCap.status == 0, "\(atCap.stderr)")
    }
}
