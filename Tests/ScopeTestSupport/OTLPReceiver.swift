import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Scripts/lib/otlp-receiver.py: an OTLP/HTTP receiver decoding every
/// request with the official opentelemetry-proto package (PyPI). Without
/// the package the suites are skipped, unless DPDKSCOPE_REQUIRE_INTEGRATION=1
/// demands them (then they fail).
public final class OTLPReceiver {
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Scripts/lib/otlp-receiver.py").standardized.path
    public static var required: Bool { ProcessInfo.processInfo.environment["DPDKSCOPE_REQUIRE_INTEGRATION"] == "1" }
    public static let isInstalled: Bool = {
        guard let check = try? Subprocess(["python3", "-c", "import opentelemetry.proto.collector.trace.v1.trace_service_pb2"])
        else { return false }
        return check.wait(timeout: 30) == 0
    }()
    public static var enabled: Bool { isInstalled || required }

    public let out: String
    public private(set) var port: Int
    private var process: Subprocess?

    /// `port` 0 picks a free one; a restart reuses it.
    /// `tls`: (certificate, key) PEM files to serve https with.
    public let tls: (certificate: String, key: String)?

    public init(port: Int = 0, script: String = "", out: String? = nil, tls: (certificate: String, key: String)? = nil) throws {
        self.out = out ?? NSTemporaryDirectory() + "otlp-rx-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        self.port = port
        self.tls = tls
        try start(script: script)
    }

    public func start(script: String = "") throws {
        let ready = out + ".port"
        unlink(ready)
        process = try Subprocess(["python3", Self.script, "--port", String(port), "--out", out, "--script", script,
                                  "--ready", ready] + (tls.map { ["--tls-cert", $0.certificate, "--tls-key", $0.key] } ?? []))
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: ready, encoding: .utf8), let bound = Int(text) {
                port = bound
                return
            }
            if process?.isRunning == false { break }
            usleep(50_000)
        }
        throw ReceiverError("otlp-receiver.py did not start: \(process?.stderr ?? "")")
    }

    public func stop() {
        process?.signal(SIGTERM)
        _ = process?.wait(timeout: 5)
        process = nil
    }

    public var endpoint: String { "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// Every request so far, as the receiver logged it.
    public var requests: [[String: Any]] {
        guard let text = try? String(contentsOfFile: out, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Spans (or log records) of the accepted requests of one path, in order.
    public func items(_ path: String) -> [[String: Any]] {
        let (outer, inner, leaf) = path == "/v1/traces" ? ("resourceSpans", "scopeSpans", "spans")
            : ("resourceLogs", "scopeLogs", "logRecords")
        var items: [[String: Any]] = []
        for request in requests where request["path"] as? String == path && request["status"] as? Int == 200 {
            let body = request["request"] as? [String: Any] ?? [:]
            for resource in body[outer] as? [[String: Any]] ?? [] {
                for scope in resource[inner] as? [[String: Any]] ?? [] {
                    items += scope[leaf] as? [[String: Any]] ?? []
                }
            }
        }
        return items
    }

    /// Delivery is at least once: a batch whose answer was lost (a timeout,
    /// a receiver killed after reading it) is sent again. This keeps the
    /// first copy of each span or log record (same span id; a log record
    /// carries its span's), which is what a deduplicating store keeps;
    /// order is by first arrival.
    public func uniqueItems(_ path: String) -> [[String: Any]] {
        var seen = Set<String>()
        return items(path).filter { item in
            let key = [item["traceId"], item["spanId"], item["timeUnixNano"], item["startTimeUnixNano"], item["eventName"]]
                .map { "\($0 ?? "-")" }.joined(separator: "/")
            return seen.insert(key).inserted
        }
    }

    /// Requests the official schema could not decode: each one a failure.
    public var decodeErrors: [String] { requests.compactMap { $0["error"] as? String } }

    public func waitFor(_ path: String, count: Int, timeout: Double = 30) -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        var items = self.items(path)
        while items.count < count && Date() < deadline {
            usleep(100_000)
            items = self.items(path)
        }
        return items
    }

    deinit {
        stop()
        unlink(out)
    }
}

public struct ReceiverError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An attribute list (OTLP JSON mapping) as [key: value as text].
public func attributes(_ item: [String: Any]) -> [String: String] {
    var result: [String: String] = [:]
    for pair in item["attributes"] as? [[String: Any]] ?? [] {
        guard let key = pair["key"] as? String, let value = pair["value"] as? [String: Any] else { continue }
        if let text = value["stringValue"] as? String { result[key] = text }
        else if let number = value["intValue"] { result[key] = "\(number)" }
        else if let flag = value["boolValue"] as? Bool { result[key] = String(flag) }
        else if let number = value["doubleValue"] { result[key] = "\(number)" }
        else if let array = value["arrayValue"] as? [String: Any] { result[key] = "\(array["values"] ?? [])" }
    }
    return result
}
