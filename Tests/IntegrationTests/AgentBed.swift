import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The tap testbed with an HTTP server (port 8080) and a Redis server
/// (6379) in namespace B, clients run from namespace A, and an agent
/// started with a generated configuration file.
struct AgentBed {
    let dir: ScratchDirectory
    private(set) var testbed: Testbed
    private var servers: [Subprocess] = []
    var a: String { testbed.facts["netns-a"] ?? "" }
    var b: String { testbed.facts["netns-b"] ?? "" }
    var addressB: String { testbed.facts["ip-b"] ?? "" }
    var prefix: String { testbed.prefix }
    /// Extra testbed.sh arguments (["--rxq", "2", "--txq", "2"]).
    private let shape: [String]

    init(prefix: String, testbed extra: [String] = []) throws {
        dir = ScratchDirectory()
        shape = extra
        testbed = try Testbed.start("tap", prefix: prefix, extra: extra)
        try startServers()
    }

    /// A new primary in new namespaces (same prefix), servers included.
    mutating func restartPrimary() throws {
        stopServers()
        testbed.stop()
        testbed = try Testbed.start("tap", prefix: prefix, extra: shape)
        try startServers()
    }

    mutating func stopPrimary() {
        stopServers()
        testbed.stop()
    }

    func stop() {
        for server in servers { server.signal(SIGTERM); server.wait(timeout: 5) }
        testbed.stop()
        dir.remove()
    }

    private mutating func startServers() throws {
        servers.append(try testbed.startHTTPServer())
        servers.append(try Subprocess(["ip", "netns", "exec", b, "redis-server", "--bind", addressB, "--port", "6379",
                                       "--save", "", "--appendonly", "no", "--protected-mode", "no"]))
        try testbed.waitForListener(port: 6379)
    }

    private mutating func stopServers() {
        for server in servers { server.signal(SIGTERM); server.wait(timeout: 5) }
        servers.removeAll()
    }

    /// `count` GETs of an existing file through the primary.
    func curl(_ count: Int, path: String = "/testbed.sh") throws {
        let load = "for i in $(seq \(count)); do curl -s -o /dev/null http://\(addressB):8080\(path); done"
        let result = try Harness.run(["ip", "netns", "exec", a, "sh", "-c", load], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// `count` SET commands, one redis-cli (one connection) each.
    func redis(_ count: Int) throws {
        let load = "for i in $(seq \(count)); do redis-cli -h \(addressB) SET key$i value$i >/dev/null; done"
        let result = try Harness.run(["ip", "netns", "exec", a, "sh", "-c", load], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// A configuration attaching to this bed's primary, capturing rx only
    /// (the primary forwards: each packet is received once, sent once).
    func configuration(protocols: String, outputs: String, extra: String = "") -> String {
        """
        attach:
          file_prefix: \(prefix)
        captures:
          - direction: rx
        protocols:
        \(protocols)
        outputs:
        \(outputs)
        \(extra)
        """
    }

    func writeConfiguration(_ text: String, name: String = "agent.yaml") throws -> String {
        let path = dir.file(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func startAgent(config: String, extra: [String] = []) throws -> Subprocess {
        let agent = try Subprocess([Harness.dpdkscope, "agent", "--config", config] + extra)
        try waitFor(agent, toSay: "attached to pid")
        usleep(500_000)
        return agent
    }

    func waitFor(_ agent: Subprocess, toSay text: String, seconds: Double = 30) throws {
        guard agent.waitForStderr(text, timeout: seconds) else {
            throw TestbedError(message: "agent did not say '\(text)': status \(String(describing: agent.status)) \(agent.stderr)")
        }
    }

    /// Every line of the event files (oldest backup first), parsed.
    func events(_ path: String) throws -> [[String: Any]] {
        var files: [String] = []
        var index = 1
        while FileManager.default.fileExists(atPath: "\(path).\(index)") { files.insert("\(path).\(index)", at: 0); index += 1 }
        files.append(path)
        var events: [[String: Any]] = []
        for file in files where FileManager.default.fileExists(atPath: file) {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.isEmpty || text.hasSuffix("\n"), "\(file) ends mid-line")
            for line in text.split(separator: "\n") { events.append(try jsonObject(line)) }
        }
        return events
    }

    /// A free TCP port on loopback, for the metrics endpoint.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension [[String: Any]] {
    func ofType(_ type: String) -> [[String: Any]] { filter { $0["type"] as? String == type } }
}
