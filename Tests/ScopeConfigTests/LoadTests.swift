import Foundation
import Testing
@testable import ScopeConfig

@Suite("load(path:)")
struct LoadTests {
    /// A private scratch directory, removed by the caller.
    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scopeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        return url
    }

    @Test("a missing file is one clear error naming it")
    func missing() {
        let path = "/nonexistent/dpdkscope-\(UInt64.random(in: 0...UInt64.max)).yaml"
        #expect {
            try AgentConfiguration.load(path: path)
        } throws: { error in
            guard let errors = error as? ConfigurationErrors, let only = errors.errors.first else { return false }
            return errors.errors.count == 1 && only.file == path && only.line == nil
                && only.description == "\(path): cannot open: No such file or directory"
        }
    }

    @Test("a directory is refused")
    func directory() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try AgentConfiguration.load(path: dir.path)
            Issue.record("loaded a directory")
        } catch {
            #expect(error.errors.count == 1 && error.errors[0].message.contains("is a directory"))
        }
    }

    @Test("a file loads, and its errors carry its name")
    func file() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.yaml")
        try "flows:\n  enabled: true\n".write(to: good, atomically: false, encoding: .utf8)
        #expect(try AgentConfiguration.load(path: good.path).flows.enabled)

        let bad = dir.appendingPathComponent("bad.yaml")
        try "ring:\n  size: 3\n".write(to: bad, atomically: false, encoding: .utf8)
        do {
            _ = try AgentConfiguration.load(path: bad.path)
            Issue.record("loaded a bad file")
        } catch {
            #expect(error.errors.map(\.description) == ["\(bad.path):2: ring.size: 3 is out of range (64...16777216)"])
        }

        let binary = dir.appendingPathComponent("binary.yaml")
        try Data([0x66, 0xff, 0xfe, 0x0a]).write(to: binary)
        do {
            _ = try AgentConfiguration.load(path: binary.path)
            Issue.record("loaded a non-UTF-8 file")
        } catch {
            #expect(error.errors.first?.message == "not UTF-8 text")
        }
    }
}
