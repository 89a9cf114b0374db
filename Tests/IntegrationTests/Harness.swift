import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs real programs: the testbed script, dpdkscope itself, and helpers.
enum Harness {
    static let packageRoot = DPDKScopeBinary.packageRoot

    static var dpdkscope: String { DPDKScopeBinary.path }

    static var testbed: String { packageRoot + "/Scripts/testbed.sh" }
    /// The primary testbed.sh runs: Debian's, or another release's built
    /// from source (Scripts/dpdk-source.sh test sets DPDKSCOPE_TESTPMD).
    static var testpmd: String { ProcessInfo.processInfo.environment["DPDKSCOPE_TESTPMD"] ?? "/usr/bin/dpdk-testpmd" }

    /// A C primary from Tests/Fixtures (`mini-primary.c`, `pacing-primary.c`)
    /// built into `binary` with the flags of the installed release's
    /// libdpdk.pc (as Package.swift takes them), so it is a primary of the
    /// release the tests run against.
    static func buildFixturePrimary(_ source: String, into binary: String) throws {
        let compiled = try run(["sh", "-c", "gcc -O2 -fPIC -o \(binary) \(packageRoot)/Tests/Fixtures/\(source) "
                                + "-DALLOW_EXPERIMENTAL_API $(pkg-config --cflags --libs libdpdk)"])
        try #require(compiled.status == 0, "gcc failed: \(compiled.stderr)")
    }

    /// Put in front of every DPDK file-prefix the tests use
    /// (DPDKSCOPE_TEST_PREFIX_TAG, default none). Runs that share the
    /// machine's hugepages and /run — the Debian 13 root of Scripts/trixie.sh
    /// beside a 22.11 run, or several worktrees — then cannot collide.
    static let prefixTag = ProcessInfo.processInfo.environment["DPDKSCOPE_TEST_PREFIX_TAG"] ?? ""
    static func prefix(_ name: String) -> String { prefixTag + name }

    /// Why integration tests cannot run here, or nil when they can. With
    /// DPDKSCOPE_REQUIRE_INTEGRATION=1 (Scripts/test.sh, CI) a missing
    /// prerequisite is a failure rather than a skip.
    static let missingPrerequisite: String? = {
        if geteuid() != 0 { return "integration tests need root (DPDK primary, hugepages, namespaces)" }
        if access(testpmd, X_OK) != 0 { return "\(testpmd) is not installed (run Scripts/setup.sh)" }
        if access(dpdkscope, X_OK) != 0 { return "dpdkscope is not built at \(dpdkscope) (run swift build)" }
        let hugepages = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("HugePages_Total:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        if hugepages == 0 { return "no hugepages reserved (run hugepages/reserve.sh)" }
        return nil
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["DPDKSCOPE_REQUIRE_INTEGRATION"] == "1" }

    /// Enabled unless a prerequisite is missing and the run does not demand it.
    static var enabled: Bool { missingPrerequisite == nil || required }

    static func checkPrerequisites() throws {
        if let missing = missingPrerequisite {
            Issue.record("integration prerequisites missing: \(missing)")
            throw CancellationError()
        }
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
        var stderrLines: [Substring] { stderr.split(separator: "\n") }
    }

    /// Runs a program to completion, killing it after `timeout` seconds.
    @discardableResult
    static func run(_ arguments: [String], timeout: Double = 60, environment: [String: String] = [:]) throws -> Output {
        let started = Date()
        let child = try Subprocess(arguments, environment: environment)
        let status = child.wait(timeout: timeout)
        return Output(status: status, stdout: child.stdout, stderr: child.stderr,
                      seconds: Date().timeIntervalSince(started))
    }

    static func dpdkscope(_ arguments: [String], timeout: Double = 30) throws -> Output {
        try run([dpdkscope] + arguments, timeout: timeout)
    }
}

/// A running dpdk-testpmd started by Scripts/testbed.sh; stop() tears it down.
struct Testbed {
    let prefix: String
    let facts: [String: String]

    var pid: Int32 { Int32(facts["pid"] ?? "") ?? -1 }

    static func start(_ shape: String, prefix: String, extra: [String] = []) throws -> Testbed {
        // Restarts pass the running testbed's (already tagged) prefix back.
        let prefix = prefix.hasPrefix(Harness.prefixTag) ? prefix : Harness.prefix(prefix)
        _ = try? Harness.run([Harness.testbed, "stop", "--prefix", prefix])
        let result = try Harness.run([Harness.testbed, "start", "--shape", shape, "--prefix", prefix] + extra, timeout: 90)
        guard result.status == 0 else {
            throw TestbedError(message: "testbed start \(shape) failed (\(result.status)): \(result.stderr)")
        }
        var facts: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { facts[String(parts[0])] = String(parts[1]) }
        }
        return Testbed(prefix: prefix, facts: facts)
    }

    func stop() {
        _ = try? Harness.run([Harness.testbed, "stop", "--prefix", prefix])
    }

    var isAlive: Bool { kill(pid, 0) == 0 }
}

struct TestbedError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// JSON helpers for dpdkscope's --json output.
func jsonObject(_ text: some StringProtocol) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(value as? [String: Any])
}

extension Testbed {
    /// Python's http.server on namespace B's address, serving Scripts/;
    /// returns once it listens. The caller stops it (SIGTERM).
    func startHTTPServer(port: Int = 8080) throws -> Subprocess {
        guard let b = facts["netns-b"], let address = facts["ip-b"] else {
            throw TestbedError(message: "startHTTPServer needs the tap testbed")
        }
        let server = try Subprocess(["ip", "netns", "exec", b, "python3", "-m", "http.server", "\(port)", "--bind", address,
                                     "--directory", Harness.packageRoot + "/Scripts"])
        try waitForListener(port: port)
        return server
    }

    /// dnsmasq on namespace B's address answering demo.test names with
    /// 10.0.0.7. The caller stops it (SIGTERM).
    func startDNSServer(pidFile: String) throws -> Subprocess {
        guard let b = facts["netns-b"], let address = facts["ip-b"] else {
            throw TestbedError(message: "startDNSServer needs the tap testbed")
        }
        let server = try Subprocess(["ip", "netns", "exec", b, "dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts",
                                     "--bind-interfaces", "--listen-address=\(address)", "--address=/demo.test/10.0.0.7",
                                     "--pid-file=\(pidFile)"])
        try waitForListener(port: 53, udp: true)
        return server
    }

    /// Polls namespace B until something listens on `port` (TCP, or UDP);
    /// throws after 20 s (a loaded machine starts servers slowly, and a test
    /// whose first requests are refused would fail far from the cause).
    func waitForListener(port: Int, udp: Bool = false) throws {
        guard let b = facts["netns-b"] else { return }
        let listing = udp ? "ss -lun" : "ss -ltn"
        for _ in 0..<200 {
            if try Harness.run(["ip", "netns", "exec", b, "sh", "-c", "\(listing) | grep -q ':\(port)\\b'"]).status == 0 { return }
            usleep(100_000)
        }
        throw TestbedError(message: "nothing listens on \(udp ? "udp" : "tcp") port \(port) in \(b) after 20 s")
    }
}
