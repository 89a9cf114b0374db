/// One problem in a configuration file, located by line and key path:
/// `dpdkscope.yaml:12: outputs.metrics.port: 70000 is not a TCP port (1-65535)`.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file as named to `load(path:)`, or `parse`'s `file` argument.
    public var file: String
    /// 1-based line of the offending key or value; nil when the problem is
    /// the file itself (cannot be read) or has no single place.
    public var line: Int?
    /// Dotted key path with sequence indexes (`captures[1].filter`); empty
    /// for problems of the whole document (malformed YAML, unreadable file).
    public var path: String
    public var message: String

    public init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(place): \(message)" : "\(place): \(path): \(message)"
    }
}

/// Every problem found in one file, in line order: a file is checked to the
/// end so that one run of the agent shows everything there is to fix.
public struct ConfigurationErrors: Error, Equatable, Sendable, CustomStringConvertible {
    public var errors: [ConfigurationError]

    public init(errors: [ConfigurationError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
