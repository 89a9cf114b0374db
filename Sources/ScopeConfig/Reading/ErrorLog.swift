/// Collects every problem found while reading. Readers report and carry on
/// with the default value, so one pass finds all the errors of a file.
/// A class because every section reader of one document appends to it.
final class ErrorLog {
    let file: String
    private var found: [ConfigurationError] = []

    init(file: String) {
        self.file = file
    }

    func report(_ path: ConfigPath, line: Int?, _ message: String) {
        found.append(ConfigurationError(file: file, line: line, path: path.description, message: message))
    }

    /// In line order (stable, so errors of one line keep their discovery
    /// order); errors without a line come last.
    var errors: [ConfigurationError] {
        found.enumerated().sorted { lhs, rhs in
            let left = lhs.element.line ?? Int.max, right = rhs.element.line ?? Int.max
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
    }
}
