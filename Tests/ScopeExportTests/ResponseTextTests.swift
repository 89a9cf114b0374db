import Foundation
import ScopeTestSupport
import Testing
@testable import ScopeExport

#if canImport(Glibc)
import Glibc
#endif

/// A receiver that answers every POST with `status` and a body of
/// `bytes` bytes full of line breaks and terminal escapes.
final class HostileReceiver {
    let process: Subprocess
    let port: Int

    init(status: Int, bytes: Int) throws {
        let ready = NSTemporaryDirectory() + "hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let script = """
        import http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get('Content-Length', 0)))
                body = (b'bad\\nline\\r\\n\\x1b[31mred\\x00 ' * (\(bytes) // 20 + 1))[:\(bytes)]
                self.send_response(\(status))
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *a): pass
        s = http.server.HTTPServer(('127.0.0.1', 0), H)
        open('\(ready)', 'w').write(str(s.server_address[1]))
        s.serve_forever()
        """
        process = try Subprocess(["python3", "-c", script])
        let deadline = Date().addingTimeInterval(10)
        var bound = 0
        while Date() < deadline {
            if let text = try? String(contentsOfFile: ready, encoding: .utf8), let value = Int(text) { bound = value; break }
            usleep(20_000)
        }
        port = bound
        unlink(ready)
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.wait(timeout: 5)
    }
}

@Suite("Receiver replies and URLs in log lines")
struct ResponseTextTests {
    @Test("a 400 with a huge body full of control bytes gives one short printable log line")
    func hostileBodyIsCappedAndSanitised() throws {
        let receiver = try HostileReceiver(status: 400, bytes: 4 << 20)
        try #require(receiver.port > 0)
        let transport = try RemoteWriteTransport(url: "http://127.0.0.1:\(receiver.port)/api/v1/write", headers: [], timeout: 10)
        guard case .rejected(let reason) = transport.send([]) else { Issue.record("not rejected"); return }
        #expect(reason.hasPrefix("HTTP 400"), "\(reason)")
        #expect(reason.count < 260, "\(reason.count) characters")
        #expect(reason.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F || $0 >= 0x80 }, "\(reason)")
        #expect(!reason.contains("\n") && !reason.contains("\u{1B}"))
    }

    @Test("sanitising keeps printable text, folds whitespace, bounds the length")
    func sanitised() {
        #expect(ResponseText.sanitized(Array("a\n\n b\u{1B}[1m\u{0}c ".utf8)) == "a b?[1m?c")
        #expect(ResponseText.sanitized(Array(repeating: UInt8(ascii: "x"), count: 1000)).count == 201)
    }

    @Test("a reply body is kept up to its bound")
    func cappedBody() {
        #expect(ResponseText.maxBodyBytes == 65_536)
        let delegate = CappedResponse(limit: 10)
        for _ in 0..<3 { delegate.keep(Array("abcdefgh".utf8)) }
        #expect(delegate.body == Array("abcdefghab".utf8))
    }

    @Test("user:password@ in an endpoint is never printed, in errors and retry reasons")
    func userInfoRedacted() throws {
        #expect(ResponseText.redactingUserInfo("https://alice:s3cret@collector:4318/x@y") == "https://REDACTED@collector:4318/x@y")
        #expect(ResponseText.redactingUserInfo("http://collector:4318/a@b") == "http://collector:4318/a@b")
        // Nothing listens on port 9: the retry reason names the URL, without its password.
        let transport = try OTLPHTTPTransport(signal: .logs, endpoint: "http://alice:s3cret@127.0.0.1:9", headers: [],
                                              timeout: 1, resource: OTLPResource(hostName: "h"))
        guard case .retry(_, let reason) = transport.send([]) else { Issue.record("not retried"); return }
        #expect(!reason.contains("s3cret") && reason.contains("REDACTED@127.0.0.1:9"), "\(reason)")
        let remote = try RemoteWriteTransport(url: "http://bob:hunter2@127.0.0.1:9/api/v1/write", headers: [], timeout: 1)
        guard case .retry(_, let remoteReason) = remote.send([]) else { Issue.record("not retried"); return }
        #expect(!remoteReason.contains("hunter2"), "\(remoteReason)")
    }
}
