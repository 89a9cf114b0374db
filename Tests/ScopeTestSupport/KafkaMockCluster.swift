import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// librdkafka's mock Kafka cluster (Tests/Fixtures/kafka-mock-cluster.c,
/// compiled here against Debian's librdkafka-dev) as a process on loopback,
/// and `kcat` (Debian's) as the independent consumer reading events back.
/// Without cc, librdkafka-dev or kcat the suites are skipped, unless
/// DPDKSCOPE_REQUIRE_INTEGRATION=1 demands them (then they fail).
public final class KafkaMockCluster {
    public static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/kafka-mock-cluster.c").standardized.path
    public static var required: Bool { ProcessInfo.processInfo.environment["DPDKSCOPE_REQUIRE_INTEGRATION"] == "1" }
    public static let isInstalled: Bool = {
        FileManager.default.fileExists(atPath: "/usr/include/librdkafka/rdkafka_mock.h") && which("kcat") && which("cc")
    }()
    public static var enabled: Bool { isInstalled || required }

    /// The helper, compiled once per test process.
    static let binary: Result<String, SubprocessError> = {
        let path = NSTemporaryDirectory() + "kafka-mock-cluster-\(getpid())"
        guard let compiler = try? Subprocess(["cc", "-O1", "-o", path, source, "-lrdkafka"]) else {
            return .failure(SubprocessError(message: "cc not found"))
        }
        guard compiler.wait(timeout: 120) == 0 else {
            return .failure(SubprocessError(message: "cannot compile kafka-mock-cluster.c: \(compiler.stderr)"))
        }
        return .success(path)
    }()

    public let bootstrap: String
    private let process: Subprocess

    /// `topics` are created with `partitions` partitions each.
    public init(brokers: Int = 1, partitions: Int = 4, topics: [String]) throws {
        let binary = try Self.binary.get()
        process = try Subprocess([binary, String(brokers), String(partitions)] + topics)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let line = process.stdout.split(separator: "\n").first, line.contains(":") {
                bootstrap = String(line)
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        process.signal(SIGKILL)
        throw SubprocessError(message: "kafka-mock-cluster did not start: \(process.stderr)")
    }

    deinit {
        process.signal(SIGTERM)
        if process.wait(timeout: 5) != 0 { process.signal(SIGKILL) }
    }

    /// Brokers drop their connections and refuse new ones until `up()`.
    public func down() { process.signal(SIGUSR1); waitForLog("brokers down") }
    public func up() { process.signal(SIGUSR2); waitForLog("brokers up") }

    private func waitForLog(_ text: String) {
        let deadline = Date().addingTimeInterval(5)
        let before = process.stderr.components(separatedBy: text).count
        while Date() < deadline && process.stderr.components(separatedBy: text).count == before { usleep(10_000) }
    }

    public struct Message: Equatable {
        public var topic: String
        public var partition: Int
        public var offset: Int
        public var key: String
        public var value: String
    }

    /// Every message of `topic`, read by kcat from the beginning, ordered
    /// by partition then offset.
    public func consume(_ topic: String) throws -> [Message] {
        let kcat = try Subprocess(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                                   "-f", "%t\t%p\t%o\t%k\t%s\n"])
        guard kcat.wait(timeout: 60) == 0 else { throw SubprocessError(message: "kcat -C \(topic): \(kcat.stderr)") }
        let messages = kcat.stdout.split(separator: "\n").compactMap { line -> Message? in
            let parts = line.split(separator: "\t", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5, let partition = Int(parts[1]), let offset = Int(parts[2]) else { return nil }
            return Message(topic: String(parts[0]), partition: partition, offset: offset, key: String(parts[3]),
                           value: String(parts[4]))
        }
        return messages.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }

    static func which(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
            access("\($0)/\(tool)", X_OK) == 0
        }
    }
}
