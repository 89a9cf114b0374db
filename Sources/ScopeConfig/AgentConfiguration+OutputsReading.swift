#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

extension AgentConfiguration.Outputs {
    static let rotateRange = 4096...(1 << 40)
    static let keepRange = 0...10_000

    init(reading section: ConfigSection, checkKafka: (Kafka) -> String? = { _ in nil }) {
        self.init()
        let out = section.section("stdout", keys: ["enabled", "format"])
        out.read("enabled", into: &stdout.enabled) { $0.bool() }
        out.read("format", into: &stdout.format) { $0.choice() }

        let events = section.section("file", keys: ["enabled", "path", "rotate_bytes", "keep", "permissions"])
        events.read("enabled", into: &file.enabled) { $0.bool() }
        events.read("path", into: &file.path) { $0.filePath() }
        events.read("rotate_bytes", into: &file.rotateBytes) { $0.size(in: Self.rotateRange) }
        events.read("keep", into: &file.keep) { $0.integer(in: Self.keepRange) }
        events.read("permissions", into: &file.permissions) { $0.fileMode() }

        let dump = section.section("dumpfile", keys: ["enabled", "path", "rotate_bytes", "keep", "snaplen"])
        dump.read("enabled", into: &dumpfile.enabled) { $0.bool() }
        dump.read("path", into: &dumpfile.path) { $0.filePath() }
        dump.read("rotate_bytes", into: &dumpfile.rotateBytes) { $0.size(in: Self.rotateRange) }
        dump.read("keep", into: &dumpfile.keep) { $0.integer(in: Self.keepRange) }
        dump.read("snaplen", into: &dumpfile.snaplen) { $0.integer(in: 1...Snaplen.maximum) }

        let prometheus = section.section("metrics", keys: ["enabled", "address", "port", "labels", "max_label_values"])
        prometheus.read("enabled", into: &metrics.enabled) { $0.bool() }
        prometheus.read("address", into: &metrics.address) { $0.ipAddress() }
        prometheus.read("port", into: &metrics.port) { $0.port("a TCP port") }
        prometheus.read("labels", into: &metrics.labels) { value in
            guard let items = value.items(of: "label names") else { return nil }
            var labels: [MetricLabel] = []
            for item in items {
                guard let label: MetricLabel = item.choice() else { continue }
                if labels.contains(label) { item.report("\(label.rawValue) is listed twice") } else { labels.append(label) }
            }
            return labels
        }
        prometheus.read("max_label_values", into: &metrics.maxLabelValues) { $0.integer(in: 1...100_000) }

        readExport(section)
        readKafka(section, check: checkKafka)

        if file.enabled && dumpfile.enabled && file.path == dumpfile.path {
            let message = "outputs.file and outputs.dumpfile both write \(quoted(file.path)); give each its own file"
            if let value = dump["path"] ?? events["path"] { value.report(message) } else { dump.report(message, at: "path") }
        }
        if !(stdout.enabled || file.enabled || dumpfile.enabled || metrics.enabled || otlp.enabled || kafka.enabled) {
            section.report("every output is disabled; enable at least one")
        }
    }
}

extension ConfigValue {
    /// Absolute or relative, not empty, not a directory; the directory need
    /// not exist yet (the agent creates it).
    func filePath() -> String? {
        guard let path = text() else { return nil }
        if path.hasSuffix("/") { return fail("\(quoted(path)) names a directory; give a file name") }
        if path.contains("\0") { return fail("a path cannot contain NUL") }
        return path
    }

    /// chmod-style octal; world-writable and special bits are refused, and
    /// the owner (the agent) must be able to write.
    func fileMode() -> UInt32? {
        guard let text = text() else { return nil }
        guard let mode = Units.fileMode(text) else {
            return fail("\(quoted(text)) is not an octal file mode (e.g. \"0600\", \"0640\")")
        }
        if mode & 0o7000 != 0 { return fail("\(text): setuid, setgid and sticky bits are not allowed") }
        if mode & 0o002 != 0 { return fail("\(text) is world-writable; anyone could forge events (use 0600 or 0640)") }
        if mode & 0o600 != 0o600 { return fail("\(text) must let the owner read and write (0600 at least)") }
        return mode
    }

    /// An IPv4 or IPv6 address literal.
    func ipAddress() -> String? {
        guard let text = text() else { return nil }
        var buffer = [UInt8](repeating: 0, count: 16)
        let parsed = inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
        return parsed ? text : fail("\(quoted(text)) is not an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0)")
    }
}
