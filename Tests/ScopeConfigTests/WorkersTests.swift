import Testing
@testable import ScopeConfig

/// `attach.workers`: 0 keeps the single loop, 1...64 worker lcores; any
/// other value is one error naming the key and its line.
@Suite("attach.workers")
struct WorkersTests {
    @Test("absent or 0 is the single loop; 1 to 64 worker lcores", arguments: [0, 1, 2, 64])
    func goodValues(workers: Int) throws {
        let config = try AgentConfiguration.parse("attach:\n  file_prefix: x\n  workers: \(workers)\n")
        #expect(config.attach.workers == workers)
        #expect(try AgentConfiguration.parse("attach:\n  file_prefix: x\n").attach.workers == 0)
    }

    @Test("out of range")
    func outOfRange() {
        expectOneError("attach:\n  workers: 65\n", path: "attach.workers", line: 2, "65 is out of range (0...64)")
        expectOneError("attach:\n  file_prefix: x\n  workers: -1\n", path: "attach.workers", line: 3, "-1 is out of range (0...64)")
    }

    @Test("not a whole number")
    func wrongType() {
        expectOneError("attach:\n  workers: two\n", path: "attach.workers", line: 2, "expected a whole number, got \"two\"")
        expectOneError("attach:\n  workers: 1.5\n", path: "attach.workers", line: 2, "expected a whole number")
        expectOneError("attach:\n  workers: \"2\"\n", path: "attach.workers", line: 2, "got the string \"2\"")
        expectOneError("attach:\n  workers: [2]\n", path: "attach.workers", line: 2, "got a sequence")
        expectOneError("attach:\n  workers:\n", path: "attach.workers", line: 2, "expected a whole number, got null")
    }

    @Test("a typo is caught with a hint")
    func typo() {
        expectOneError("attach:\n  worker: 2\n", path: "attach.worker", line: 2, "did you mean workers?")
    }

    @Test("the reference documents it at its default")
    func reference() throws {
        let reference = AgentConfiguration.referenceYAML
        #expect(reference.contains("\n  workers: 0\n"))
        #expect(reference.contains("# Worker lcores that capture and analyze, as `dpdkscope capture --multi"))
        #expect(try AgentConfiguration.parse(reference).attach.workers == 0)
    }
}
