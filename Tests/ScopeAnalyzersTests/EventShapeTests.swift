import Foundation
import Testing
@testable import ScopeAnalyzers
import ScopeDecode

/// The JSON lines follow Packetbeat/ECS names, so Elastic pipelines work.
struct EventShapeTests {
    func object(_ event: TransactionEvent) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(event.json.utf8)) as? [String: Any])
    }

    func value(_ object: [String: Any], _ path: String) -> Any? {
        var current: Any? = object
        for part in path.split(separator: ".") { current = (current as? [String: Any])?[String(part)] }
        return current
    }

    @Test func httpEventCarriesECSFieldsAndRedactsSecrets() throws {
        var configuration = AnalyzerConfiguration()
        configuration.includeHTTPHeaders = true
        let (events, _) = Conversation(steps: [
            .client(http("GET /search?q=swift&page=2 HTTP/1.1", "Host: example.test:8080", "User-Agent: curl/7.88.1",
                         "Authorization: Basic c2VjcmV0OnNlY3JldA==", "Proxy-Authorization: token",
                         "Cookie: session=topsecret; theme=dark", "Referer: http://example.test/", ""), at: 1_700_000_000_000_000_000),
            .server(http("HTTP/1.1 404 Not Found", "Content-Type: text/html", "Set-Cookie: id=abc; Path=/",
                         "Content-Length: 3", "") + "nop".bytes, at: 1_700_000_000_002_500_000),
        ]).run(configuration: configuration)
        let event = try object(try #require(events.first))
        let expected: [(String, Any)] = [
            ("@timestamp", "2023-11-14T22:13:20.000000000Z"), ("type", "http"), ("status", "Error"),
            ("event.dataset", "http"), ("event.kind", "event"), ("event.duration", 2_500_000),
            ("event.start", "2023-11-14T22:13:20.000000000Z"), ("event.end", "2023-11-14T22:13:20.002500000Z"),
            ("source.ip", "10.0.0.1"), ("source.port", 40000), ("destination.ip", "10.0.0.2"), ("destination.port", 80),
            ("client.ip", "10.0.0.1"), ("server.port", 80), ("network.transport", "tcp"), ("network.protocol", "http"),
            ("network.type", "ipv4"), ("method", "GET"), ("query", "GET /search"),
            ("url.full", "http://example.test:8080/search?q=swift&page=2"), ("url.domain", "example.test"),
            ("url.port", 8080), ("url.path", "/search"), ("url.query", "q=swift&page=2"), ("url.scheme", "http"),
            ("http.version", "1.1"), ("http.request.method", "GET"), ("http.request.body.bytes", 0),
            ("http.request.referrer", "http://example.test/"), ("http.response.status_code", 404),
            ("http.response.status_phrase", "not found"), ("http.response.body.bytes", 3),
            ("http.response.mime_type", "text/html"), ("user_agent.original", "curl/7.88.1"),
            ("http.request.headers.authorization", "Basic *"), ("http.request.headers.proxy-authorization", "token *"),
            ("http.request.headers.cookie", "session=*; theme=*"), ("http.response.headers.set-cookie", "id=*; Path=/"),
        ]
        for (path, want) in expected {
            #expect("\(value(event, path) ?? "missing")" == "\(want)", "\(path)")
        }
        #expect(value(event, "event.category") as? [String] == ["network"])
        #expect((value(event, "network.community_id") as? String)?.hasPrefix("1:") == true)
        #expect(value(event, "network.bytes") as? Int == Int(events[0].requestBytes + events[0].responseBytes))
        #expect(!events[0].json.contains("topsecret") && !events[0].json.contains("c2VjcmV0"))
        #expect(value(event, "error") == nil)  // 404 is an Error status without notes
    }

    @Test func urlFieldsForIPv6HostsAbsoluteFormAndMissingHost() {
        func url(_ target: String, host: String?, server: String = "10.0.0.2", port: UInt16 = 80) -> String {
            var request = HTTPMessage(isRequest: true)
            request.target = target
            request.host = host
            let ends = TransactionEndpoints(client: IPAddress("10.0.0.1")!, clientPort: 1, server: IPAddress(server)!,
                                            serverPort: port, transport: .tcp)
            return HTTPURL(request: request, endpoints: ends).full
        }
        #expect(url("/a.txt?x=1&y=2", host: "[fd00:99::1]") == "http://[fd00:99::1]/a.txt?x=1&y=2")
        #expect(url("/", host: nil, server: "fd00::2", port: 9000) == "http://[fd00::2]:9000/")
        #expect(url("http://proxy.test:3128/p?q", host: "ignored") == "http://proxy.test:3128/p?q")
        #expect(url("*", host: "h") == "http://h*")
    }

    @Test func dnsEventCarriesPacketbeatFields() throws {
        let query = DNSBuild.query(id: 0x1234, "host.test", type: 1)
        let response = DNSBuild.richResponse(id: 0x1234)
        var configuration = AnalyzerConfiguration()
        configuration.includeDNSAuthorities = true
        let (events, _) = Conversation(steps: [
            .client(DNSBuild.u16(query.count) + query, at: 1_000), .server(DNSBuild.u16(response.count) + response, at: 3_000),
        ]).run(.dns, configuration: configuration)
        let event = try object(try #require(events.first))
        let expected: [(String, Any)] = [
            ("type", "dns"), ("status", "OK"), ("method", "QUERY"), ("query", "class IN, type A, host.test"),
            ("resource", "host.test"), ("dns.type", "answer"), ("dns.id", 0x1234), ("dns.op_code", "QUERY"),
            ("dns.response_code", "NOERROR"), ("dns.flags.authoritative", 1), ("dns.flags.recursion_desired", 1),
            ("dns.flags.recursion_available", 1), ("dns.flags.truncated_response", 0), ("dns.flags.checking_disabled", 0),
            ("dns.question.name", "host.test"), ("dns.question.type", "A"), ("dns.question.class", "IN"),
            ("dns.answers_count", 8), ("dns.authorities_count", 1), ("dns.additionals_count", 0),
            ("dns.opt.version", "0"), ("dns.opt.do", 1), ("dns.opt.udp_size", 1232), ("network.transport", "tcp"),
            ("event.duration", 2_000), ("source.bytes", query.count), ("destination.bytes", response.count),
        ]
        for (path, want) in expected {
            #expect("\(value(event, path) ?? "missing")" == "\(want)", "\(path)")
        }
        #expect(value(event, "dns.resolved_ip") as? [String] == ["10.99.0.5", "fd00:99::5"])
        #expect(value(event, "dns.header_flags") as? [String] == ["AA", "RD", "RA"])
        let answers = try #require(value(event, "dns.answers") as? [[String: Any]])
        #expect(answers.count == 8 && answers[3]["data"] as? String == "10 mail.test" && answers[3]["ttl"] as? Int == 300)
        #expect((value(event, "dns.authorities") as? [[String: Any]])?.first?["type"] as? String == "SOA")
        #expect(value(event, "dns.additionals") == nil)
    }
}
