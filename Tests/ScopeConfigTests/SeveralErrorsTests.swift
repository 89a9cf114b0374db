import Testing
@testable import ScopeConfig

@Suite("Several errors in one file")
struct SeveralErrorsTests {
    @Test("all are reported, in line order, one per line of the description")
    func allReported() {
        let yaml = """
        attach:
          file_prefix: rte
          takeover: maybe
        captures:
          - direction: sideways
            filter: not a filter
          - snaplen: 999999
        outputs:
          metrcs:
            port: 9091
          file:
            permissions: "0777"
        limits:
          transaction_timeout: soon
        protocols:
          redis:
            ports: [80]
        """
        let errors = configErrors(yaml, checkFilter: { $0 == "not a filter" ? "syntax error" : nil })
        #expect(errors.map(\.path) == [
            "attach.takeover", "captures[0].direction", "captures[0].filter", "captures[1].snaplen",
            "outputs.metrcs", "outputs.file.permissions", "limits.transaction_timeout", "protocols.redis.ports[0]",
        ])
        #expect(errors.map(\.line) == [3, 5, 6, 7, 9, 12, 14, 17])
        do {
            _ = try AgentConfiguration.parse(yaml, file: "x.yaml", checkFilter: { $0 == "not a filter" ? "syntax error" : nil })
            Issue.record("parsed")
        } catch {
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 8)
            #expect(lines.first == "x.yaml:3: attach.takeover: expected true or false, got \"maybe\"")
        }
    }

    @Test("a wrong value in a list does not hide the others")
    func listErrors() {
        let errors = configErrors("protocols:\n  http:\n    ports: [0, abc, 80, 70000]\n")
        #expect(errors.map(\.path) == ["protocols.http.ports[0]", "protocols.http.ports[1]", "protocols.http.ports[3]"])
    }
}
