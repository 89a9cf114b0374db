import Foundation
import Testing
@testable import ScopeAnalyzers
import ScopeDecode

/// `url.*` parts are byte ranges found by byte for ASCII text and character
/// by character otherwise; both must give what the JSON shows.
struct HTTPURLTests {
    func url(_ target: String, host: String?, server: String = "10.0.0.2", port: UInt16 = 80) throws -> [String: Any] {
        var request = HTTPMessage(isRequest: true)
        request.method = "GET"
        request.target = target
        request.host = host
        let ends = TransactionEndpoints(client: IPAddress("10.0.0.1")!, clientPort: 1, server: IPAddress(server)!,
                                        serverPort: port, transport: .tcp)
        let event = TransactionEvent(application: .http, endpoints: ends, start: 0, end: 0, requestBytes: 0,
                                     responseBytes: 0, status: .ok, notes: [],
                                     details: HTTPTransaction(request: request, response: nil))
        let object = try #require(JSONSerialization.jsonObject(with: Data(event.json.utf8)) as? [String: Any])
        var fields = try #require(object["url"] as? [String: Any])
        fields["query_field"] = object["query"]
        fields["resource"] = event.resource
        #expect(HTTPURL(request: request, endpoints: ends).full == fields["full"] as? String)
        return fields
    }

    @Test func asciiTargetsAndHosts() throws {
        let plain = try url("/a/b.txt?x=1&y=2", host: "example.test:8080")
        #expect(plain["domain"] as? String == "example.test" && plain["port"] as? Int == 8080)
        #expect(plain["path"] as? String == "/a/b.txt" && plain["query"] as? String == "x=1&y=2")
        #expect(plain["full"] as? String == "http://example.test:8080/a/b.txt?x=1&y=2")
        #expect(plain["query_field"] as? String == "GET /a/b.txt" && plain["resource"] as? String == "/a/b.txt")
        let v6 = try url("?only", host: "[fd00::1]:9")
        #expect(v6["domain"] as? String == "fd00::1" && v6["port"] as? Int == 9 && v6["path"] as? String == "/")
        #expect(v6["full"] as? String == "http://[fd00::1]:9/?only")
        let absolute = try url("HTTPS://proxy.test/p", host: "ignored.test")
        #expect(absolute["scheme"] as? String == "https" && absolute["domain"] as? String == "proxy.test")
        #expect(absolute["full"] as? String == "https://proxy.test:80/p")
        let bad = try url("/", host: "h:notaport")
        #expect(bad["domain"] as? String == "h" && bad["port"] as? Int == 80)
        let server = try url("/x", host: nil, server: "fe80::2", port: 81)
        #expect(server["domain"] as? String == "fe80::2" && server["full"] as? String == "http://[fe80::2]:81/x")
    }

    @Test func nonASCIITargetsAndHostsGoByCharacter() throws {
        let accented = try url("/päth/ü?q=é", host: "bücher.test:8443")
        #expect(accented["domain"] as? String == "bücher.test" && accented["port"] as? Int == 8443)
        #expect(accented["path"] as? String == "/päth/ü" && accented["query"] as? String == "q=é")
        #expect(accented["full"] as? String == "http://bücher.test:8443/päth/ü?q=é")
        // A combining mark after the colon makes one character with it: the
        // port is what follows that character.
        let combined = try url("/", host: "h:\u{301}81")
        #expect(combined["domain"] as? String == "h" && combined["port"] as? Int == 81)
        let absolute = try url("hTTp://dömain:99/x?y", host: nil)
        #expect(absolute["scheme"] as? String == "http" && absolute["domain"] as? String == "dömain")
        #expect(absolute["port"] as? Int == 99 && absolute["path"] as? String == "/x" && absolute["query"] as? String == "y")
        let notAbsolute = try url("ä://x", host: "h")
        #expect(notAbsolute["scheme"] as? String == "ä" && notAbsolute["path"] as? String == "/")
    }

    /// Origin-form ASCII targets with a Host are written byte by byte
    /// (`HTTPTransaction.appendURLFast`); the parts must be HTTPURL's.
    @Test func byteWriterAgreesWithHTTPURL() throws {
        // Text needing escapes takes HTTPURL's own path (and `HTTPURL.full` is JSON text then).
        let targets = ["/", "/a", "/index.html", "/a/b?c=d", "/?", "/x?y?z", "/a b", "/%22?q=%5C",
                       "/a/long/path/with/several/segments/and/more?and=a&long=query&string=here"]
        let hosts = ["h", "h:81", "h:80", "h:", "h:99999", "h:+5", "h:-1", "[fd00::1]", "[fd00::1]:8443", "[fd00::1", "a:b:c",
                     "10.0.0.2:8080", "x", "[]:9"]
        let ends = TransactionEndpoints(client: IPAddress("10.0.0.1")!, clientPort: 1, server: IPAddress("10.0.0.2")!,
                                        serverPort: 80, transport: .tcp)
        for target in targets {
            for host in hosts {
                let fields = try url(target, host: host)
                var request = HTTPMessage(isRequest: true)
                request.method = "GET"
                request.target = target
                request.host = host
                let reference = HTTPURL(request: request, endpoints: ends)
                #expect(fields["domain"] as? String == reference.domain.map(reference.text), "\(target) \(host)")
                #expect(fields["port"] as? Int == Int(reference.port), "\(target) \(host)")
                #expect(fields["path"] as? String == reference.pathText, "\(target) \(host)")
                #expect(fields["query"] as? String == reference.query.map(reference.text), "\(target) \(host)")
                #expect(fields["query_field"] as? String == "GET " + reference.pathText, "\(target) \(host)")
            }
        }
    }
}
