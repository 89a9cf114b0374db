import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus (Debian's /usr/bin/prometheus) scraping one target
/// every second, for end-to-end tests of a /metrics endpoint. Everything it
/// writes (TSDB, log) lives in a temporary directory removed by `stop()`.
public final class PrometheusServer {
    public static let binary = "/usr/bin/prometheus"
    public static var isInstalled: Bool { access(binary, X_OK) == 0 }

    public let port: Int
    public let directory: String
    private var process: Subprocess?

    /// Starts Prometheus scraping `target` ("127.0.0.1:9091") and waits
    /// until /-/ready answers 200.
    /// `remoteWriteReceiver` also accepts remote-write pushes at /api/v1/write.
    public init(scraping target: String, remoteWriteReceiver: Bool = false, readyTimeout: Double = 60) throws {
        var template = Array("/tmp/dpdkscope-prometheus-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SubprocessError(message: "cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        port = try PlainHTTP.freeLocalPort()
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: dpdkscope
                scrape_interval: 1s
                scrape_timeout: 1s
                static_configs:
                  - targets: ['\(target)']
            """
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        // The shell first closes what it inherited past stderr (NIO's
        // sockets are not close-on-exec: Prometheus holding a test's
        // connection would keep it open after the test closed it), then
        // becomes Prometheus, so the pid is Prometheus's own.
        let command = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done"#
            + "; exec \(Self.binary) --config.file=\(directory)/prometheus.yml"
            + " --web.listen-address=127.0.0.1:\(port) --storage.tsdb.path=\(directory)/data"
            + (remoteWriteReceiver ? " --web.enable-remote-write-receiver" : "")
            + " > \(directory)/prometheus.log 2>&1"
        process = try Subprocess(["/bin/bash", "-c", command])
        try waitUntilReady(timeout: readyTimeout)
    }

    deinit { stop() }

    /// What Prometheus printed (for failure messages).
    public var log: String { (try? String(contentsOfFile: directory + "/prometheus.log", encoding: .utf8)) ?? "" }

    /// The first sample of an instant query's result, nil when the result
    /// is empty (nothing scraped yet) or the query failed.
    public func query(_ promQL: String) throws -> Double? {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        let response = try PlainHTTP.get(port: port, path: "/api/v1/query?query=" + encoded)
        guard response.status == 200,
              let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              let data = json["data"] as? [String: Any],
              let result = data["result"] as? [[String: Any]],
              let value = result.first?["value"] as? [Any], value.count == 2,
              let text = value[1] as? String else { return nil }
        return Double(text)
    }

    /// Polls `query` until it gives `expected` or `timeout` seconds pass;
    /// returns the last value seen.
    public func waitFor(_ promQL: String, toEqual expected: Double, timeout: Double = 30) throws -> Double? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: Double?
        repeat {
            last = try query(promQL)
            if last == expected { return last }
            usleep(250_000)
        } while Date() < deadline
        return last
    }

    /// Kills Prometheus and removes its directory.
    public func stop() {
        if let process {
            process.signal(SIGTERM)
            process.wait(timeout: 10)
            self.process = nil
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private func waitUntilReady(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process?.isRunning == true else {
                throw SubprocessError(message: "prometheus exited early: \(log.suffix(2000))")
            }
            if let ready = try? PlainHTTP.get(port: port, path: "/-/ready"), ready.status == 200 { return }
            usleep(100_000)
        }
        throw SubprocessError(message: "prometheus not ready after \(timeout)s: \(log.suffix(2000))")
    }
}

/// Blocking HTTP/1.0 over a plain loopback socket: enough for tests to talk
/// to a /metrics endpoint or Prometheus's API without URLSession. HTTP/1.0
/// keeps responses unchunked and closes the connection at their end.
public enum PlainHTTP {
    public struct Response {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        public var raw: String
    }

    public static func get(host: String = "127.0.0.1", port: Int, path: String, method: String = "GET") throws -> Response {
        try exchange(host: host, port: port, request: "\(method) \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\n\r\n")
    }

    /// Sends `request` as is, reads one response (all of them until the
    /// server closes with `untilClose`), parses the first status line and
    /// headers (lowercased names).
    public static func exchange(host: String = "127.0.0.1", port: Int, request: String,
                                untilClose: Bool = false, timeout: Int = 10) throws -> Response {
        let fd = try connect(host: host, port: port, timeout: timeout)
        defer { close(fd) }
        try send(fd, Array(request.utf8))
        let raw = String(decoding: untilClose ? receiveAll(fd) : receiveResponse(fd), as: UTF8.self)
        guard let split = raw.range(of: "\r\n\r\n") else {
            throw SubprocessError(message: "no HTTP response head in \(raw.prefix(200).debugDescription)")
        }
        let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusWords = lines.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else {
            throw SubprocessError(message: "bad status line \(lines.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: String(raw[split.upperBound...]), raw: raw)
    }

    /// A connected TCP socket with send/receive timeouts.
    public static func connect(host: String = "127.0.0.1", port: Int, timeout: Int = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SubprocessError(message: "socket: \(String(cString: strerror(errno)))") }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = try socketAddress(host: host, port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SubprocessError(message: "connect to \(host):\(port): \(reason)")
        }
        return fd
    }

    public static func send(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw SubprocessError(message: "send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Everything until EOF (or the receive timeout, or a reset), or until
    /// `isComplete` says the bytes so far are enough.
    public static func receiveAll(_ fd: Int32, isComplete: ([UInt8]) -> Bool = { _ in false }) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !isComplete(result) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return result }
            result += chunk[..<count]
        }
        return result
    }

    /// One response: up to its Content-Length when it has one (the server
    /// may not be the only holder of its end, so EOF can come late), else
    /// until EOF.
    static func receiveResponse(_ fd: Int32) -> [UInt8] {
        receiveAll(fd) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let length = text[..<end.lowerBound].split(separator: "\r\n").lazy
                .compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].trimmingCharacters(in: .whitespaces))
                }.first
            guard let length else { return false }
            return text[end.upperBound...].utf8.count >= length
        }
    }

    /// A loopback port nothing listens on right now (the kernel's pick).
    public static func freeLocalPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SubprocessError(message: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = try socketAddress(host: "127.0.0.1", port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw SubprocessError(message: "bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func socketAddress(host: String, port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw SubprocessError(message: "not an IPv4 address: \(host)")
        }
        return address
    }
}
