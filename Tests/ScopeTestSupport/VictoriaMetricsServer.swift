import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real VictoriaMetrics (Debian's /usr/bin/victoria-metrics) on a
/// loopback port, taking remote-write at /api/v1/write. `stop()` and
/// `start()` keep the port and the data directory, so an outage test sees
/// the same store before and after; `remove()` ends it for good.
public final class VictoriaMetricsServer {
    public static let binary = "/usr/bin/victoria-metrics"
    public static var isInstalled: Bool { access(binary, X_OK) == 0 }

    public let port: Int
    public let directory: String
    private var process: Subprocess?

    public init() throws {
        directory = NSTemporaryDirectory() + "dpdkscope-vm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        port = try PlainHTTP.freeLocalPort()
        try start()
    }

    deinit { remove() }

    public var writeURL: String { "http://127.0.0.1:\(port)/api/v1/write" }

    /// Starts it (again) and waits until /health answers 200.
    public func start() throws {
        let server = try Subprocess([Self.binary, "-httpListenAddr=127.0.0.1:\(port)", "-storageDataPath=\(directory)",
                                     "-retentionPeriod=1d", "-search.latencyOffset=0s"])
        process = server
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && server.isRunning {
            if (try? PlainHTTP.get(port: port, path: "/health").status) == 200 { return }
            usleep(100_000)
        }
        throw SubprocessError(message: "victoria-metrics did not start: \(server.stderr.suffix(1500))")
    }

    /// Stops it gracefully (what it took is on disk for the next start).
    public func stop() {
        process?.signal(SIGTERM)
        process?.wait(timeout: 20)
        process = nil
    }

    public func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var log: String { process?.stderr ?? "" }

    /// One stored series: its labels and every raw sample (no dedup, no
    /// step): what remote-write delivered, duplicates included.
    public struct Series {
        public var labels: [String: String]
        public var timestamps: [Int64]
        public var values: [Double]
    }

    /// Every series matching `selector` ({host="a"}), read back through
    /// /api/v1/export after a flush of what is still in memory.
    public func export(_ selector: String) throws -> [Series] {
        _ = try? PlainHTTP.get(port: port, path: "/internal/force_flush")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = "match[]=" + (selector.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        let response = try PlainHTTP.exchange(port: port, request: "GET /api/v1/export?\(query) HTTP/1.0\r\nHost: x\r\n\r\n",
                                              untilClose: true, timeout: 30)
        guard response.status == 200 else { throw SubprocessError(message: "export: \(response.status) \(response.body.prefix(300))") }
        return try response.body.split(separator: "\n").map { line in
            guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SubprocessError(message: "export line \(line.prefix(200))")
            }
            let values = (json["values"] as? [Any] ?? []).map { value -> Double in
                if let number = value as? NSNumber { return number.doubleValue }
                return Double("\(value)") ?? .nan
            }
            return Series(labels: json["metric"] as? [String: String] ?? [:],
                          timestamps: (json["timestamps"] as? [NSNumber] ?? []).map(\.int64Value), values: values)
        }
    }
}
