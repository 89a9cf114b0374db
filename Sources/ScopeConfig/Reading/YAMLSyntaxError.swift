import Yams

/// Yams' complaint about malformed YAML as one `ConfigurationError`: its
/// problem and line, without the multi-line snippet Yams appends.
enum YAMLSyntaxError {
    static func configurationError(_ error: any Error, yaml: String, file: String) -> ConfigurationError {
        guard let error = error as? YamlError else {
            return ConfigurationError(file: file, line: nil, path: "", message: "not valid YAML: \(error)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return ConfigurationError(file: file, line: mark.line, path: "", message: "not valid YAML: \(problem)\(while_)")
        case .reader(let problem, let offset, _, _):
            let line = offset.map { lineNumber(ofCharacter: $0, in: yaml) }
            return ConfigurationError(file: file, line: line, path: "", message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return duplicateKey(duplicates.first ?? "?", first: context.mark, yaml: yaml, file: file)
        default:
            return ConfigurationError(file: file, line: nil, path: "", message: "not valid YAML: \(error)")
        }
    }

    /// Yams points at the first occurrence; the repeat, at the same column
    /// further down, is what to delete, so point there when it can be found.
    private static func duplicateKey(_ key: String, first: Mark, yaml: String, file: String) -> ConfigurationError {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let column = first.column - 1
        var repeatLine: Int?
        for index in first.line..<lines.count {
            let line = lines[index].unicodeScalars
            guard line.count > column else { continue }
            let lead = line.prefix(column)
            let rest = String(line.dropFirst(column))
            if lead.allSatisfy({ $0 == " " || $0 == "-" }), rest.hasPrefix(key),
               rest.dropFirst(key.count).drop(while: { $0 == " " }).first == ":" {
                repeatLine = index + 1
                break
            }
        }
        let message = repeatLine == nil
            ? "duplicate key \(quoted(key)) in one mapping"
            : "duplicate key \(quoted(key)) (first given at line \(first.line)); a key may appear once per mapping"
        return ConfigurationError(file: file, line: repeatLine ?? first.line, path: "", message: message)
    }

    private static func lineNumber(ofCharacter offset: Int, in text: String) -> Int {
        1 + text.prefix(max(0, offset)).reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
    }
}
