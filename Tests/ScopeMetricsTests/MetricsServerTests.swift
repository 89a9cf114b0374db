#if canImport(Glibc)
import Glibc
#endif
@testable import ScopeMetrics
import ScopeTestSupport
import Testing

/// The /metrics endpoint over real loopback TCP connections.
@Suite struct MetricsServerTests {
    static func running(_ metrics: AgentMetrics = AgentMetrics()) throws -> (MetricsServer, Int) {
        let server = MetricsServer(port: 0, metrics: metrics)
        try server.start()
        return (server, try #require(server.boundPort))
    }

    @Test func servesTheExposition() throws {
        let metrics = AgentMetrics()
        try CaptureEvents.events("http.pcap").forEach(metrics.record)
        let (server, port) = try Self.running(metrics)
        defer { server.stop() }
        let response = try PlainHTTP.get(port: port, path: "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.headers["content-length"] == "\(response.body.utf8.count)")
        let text = Exposition(response.body)
        #expect(text.problems == [])
        #expect(text.sum("dpdkscope_requests_total", ["protocol": "http"]) > 0)
        // A query string does not change the resource.
        #expect(try PlainHTTP.get(port: port, path: "/metrics?x=1").status == 200)
    }

    @Test func otherPathsAndMethods() throws {
        let (server, port) = try Self.running()
        defer { server.stop() }
        #expect(try PlainHTTP.get(port: port, path: "/other").status == 404)
        #expect(try PlainHTTP.get(port: port, path: "/").status == 404)
        let post = try PlainHTTP.get(port: port, path: "/metrics", method: "POST")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET")
    }

    /// Two requests on one HTTP/1.1 connection, the second asking to close.
    @Test func keepAlive() throws {
        let (server, port) = try Self.running()
        defer { server.stop() }
        let request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let response = try PlainHTTP.exchange(port: port, request: request, untilClose: true)
        #expect(response.raw.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
    }

    /// An endless request line is cut off, not buffered.
    @Test func oversizedRequestIsClosed() throws {
        let (server, port) = try Self.running()
        defer { server.stop() }
        let fd = try PlainHTTP.connect(port: port)
        defer { close(fd) }
        let chunk = [UInt8]("GET /".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 8192)
        var sent = 0
        for _ in 0..<64 {
            guard (try? PlainHTTP.send(fd, chunk)) != nil else { break }
            sent += chunk.count
        }
        let answer = String(decoding: PlainHTTP.receiveAll(fd), as: UTF8.self)
        #expect(!answer.contains("200 OK"))
        #expect(sent < 64 * chunk.count || answer.isEmpty || answer.contains(" 4"))
        // The server is still there for everyone else.
        #expect(try PlainHTTP.get(port: port, path: "/metrics").status == 200)
    }

    /// Garbage instead of HTTP closes the connection.
    @Test func garbageIsClosed() throws {
        let (server, port) = try Self.running()
        defer { server.stop() }
        let response = try? PlainHTTP.exchange(port: port, request: "\u{1}\u{2}\u{3} nonsense\r\n\r\n")
        #expect(response?.status != 200)
    }

    @Test func bindConflictIsOneClearLine() throws {
        let (first, port) = try Self.running()
        defer { first.stop() }
        let second = MetricsServer(port: port, metrics: AgentMetrics())
        let error = #expect(throws: MetricsServerError.self) { try second.start() }
        #expect(error?.description == "cannot serve metrics on 127.0.0.1:\(port): address already in use")
        #expect(second.boundPort == nil)
    }

    /// An address this host does not have: still one line, errno's words.
    @Test func foreignAddressIsOneClearLine() {
        let server = MetricsServer(host: "192.0.2.1", port: 9091, metrics: AgentMetrics())
        let error = #expect(throws: MetricsServerError.self) { try server.start() }
        #expect(error?.description == "cannot serve metrics on 192.0.2.1:9091: cannot assign requested address")
    }

    @Test func stopFreesThePort() throws {
        let (first, port) = try Self.running()
        #expect(try PlainHTTP.get(port: port, path: "/metrics").status == 200)
        first.stop()
        #expect(first.boundPort == nil)
        #expect(throws: (any Error).self) { try PlainHTTP.get(port: port, path: "/metrics") }
        let again = MetricsServer(port: port, metrics: AgentMetrics())
        try again.start()
        defer { again.stop() }
        #expect(again.boundPort == port)
        #expect(try PlainHTTP.get(port: port, path: "/metrics").status == 200)
    }

    /// Connections past the cap are refused at once; the server recovers
    /// when they close.
    @Test func connectionCap() throws {
        let (server, port) = try Self.running()
        defer { server.stop() }
        var idle: [Int32] = []
        for _ in 0..<MetricsServer.maxConnections { idle.append(try PlainHTTP.connect(port: port)) }
        usleep(200_000)
        let refused = try? PlainHTTP.get(port: port, path: "/metrics")
        #expect(refused == nil)
        idle.forEach { close($0) }
        // The server notices the closes asynchronously.
        var status: Int?
        var errors: [String] = []
        for _ in 0..<50 where status == nil {
            do { status = try PlainHTTP.get(port: port, path: "/metrics").status } catch { errors.append("\(error)") }
            if status == nil { usleep(100_000) }
        }
        #expect(status == 200, "\(Set(errors)) open=\(String(describing: server.openConnections))")
    }
}
