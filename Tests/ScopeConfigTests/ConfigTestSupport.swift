import Testing
@testable import ScopeConfig

/// The errors `parse` reports for `yaml` (empty when it parses).
func configErrors(_ yaml: String, file: String = "test.yaml",
                  checkFilter: (String) -> String? = { _ in nil }) -> [ConfigurationError] {
    do {
        _ = try AgentConfiguration.parse(yaml, file: file, checkFilter: checkFilter)
        return []
    } catch {
        return error.errors
    }
}

/// Expects exactly one error, at `path` and `line`, whose message contains `text`.
func expectOneError(_ yaml: String, path: String, line: Int?, _ text: String,
                    checkFilter: (String) -> String? = { _ in nil },
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let errors = configErrors(yaml, checkFilter: checkFilter)
    #expect(errors.count == 1, "\(errors)", sourceLocation: sourceLocation)
    guard let error = errors.first else { return }
    #expect(error.path == path, "\(error)", sourceLocation: sourceLocation)
    #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
    #expect(error.file == "test.yaml", sourceLocation: sourceLocation)
}
