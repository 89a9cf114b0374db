import Yams

/// One value of the document with its key path. Each reader returns nil
/// after reporting what is wrong (with the path and the value's line), so
/// the caller keeps its default and reading goes on.
struct ConfigValue {
    let node: Node
    let path: ConfigPath
    let log: ErrorLog

    var line: Int? { node.mark?.line }

    func report(_ message: String) {
        log.report(path, line: line, message)
    }

    func fail<T>(_ message: String) -> T? {
        report(message)
        return nil
    }

    private var scalar: ScalarText? {
        if case .scalar(let scalar) = node { return ScalarText(scalar) }
        return nil
    }

    var isNull: Bool { scalar?.isNull ?? false }

    /// The value as written, for messages.
    var scalarText: String { scalar?.text ?? describe(node) }

    /// For keys whose value may be null: `.some(nil)` for null, nil after
    /// a reported problem, else the parsed value.
    func nullable<Value>(_ parse: (ConfigValue) -> Value?) -> Value?? {
        if isNull { return .some(nil) }
        guard let value = parse(self) else { return nil }
        return .some(value)
    }

    func bool() -> Bool? {
        if let value = scalar?.bool { return value }
        if let value = scalar, value.isLegacyBool {
            return fail("\(quoted(value.text)) is not a boolean here: write true or false")
        }
        return fail("expected true or false, got \(describe(node))")
    }

    /// A plain decimal integer within `range`.
    func integer(in range: ClosedRange<Int>) -> Int? {
        guard let value = scalar, value.isIntegerSyntax else {
            return fail("expected a whole number, got \(describe(node))")
        }
        guard let number = value.integer, range.contains(number) else {
            return fail("\(value.text) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return number
    }

    /// `kind` names the port in the message: "a TCP port", "a port".
    func port(_ kind: String = "a port") -> UInt16? {
        guard let value = scalar, value.isIntegerSyntax else {
            return fail("expected \(kind) number (1-65535), got \(describe(node))")
        }
        guard let number = value.integer, let port = UInt16(exactly: number), port > 0 else {
            return fail("\(value.text) is not \(kind) (1-65535)")
        }
        return port
    }

    /// Any non-null scalar, as written (`file_prefix: 123` is the text "123").
    func text(allowEmpty: Bool = false) -> String? {
        guard let value = scalar, !value.isNull || (allowEmpty && !value.isPlain) else {
            if scalar != nil { return fail(allowEmpty ? "needs a value (\"\" for none)" : "needs a value") }
            return fail("expected a string, got \(describe(node))")
        }
        guard allowEmpty || !value.text.isEmpty else { return fail("must not be empty") }
        return value.text
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_: Choice.Type = Choice.self) -> Choice?
    where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        guard let value = scalar, !value.isNull else {
            return fail("expected one of \(names.joined(separator: ", ")), got \(describe(node))")
        }
        guard let choice = Choice(rawValue: value.text) else {
            let hint = KeySuggestion.closest(to: value.text, among: names).map { "; did you mean \($0)?" } ?? ""
            return fail("\(quoted(value.text)) is not one of \(names.joined(separator: ", "))\(hint)")
        }
        return choice
    }

    func duration(in range: ClosedRange<Duration>) -> Duration? {
        guard let value = scalar, !value.isNull else {
            return fail("expected a duration (10s, 500ms, 2m, 1h or a number of seconds), got \(describe(node))")
        }
        guard let duration = Units.duration(value.text) else {
            return fail("\(quoted(value.text)) is not a duration (10s, 500ms, 2m, 1h or a number of seconds)")
        }
        guard range.contains(duration) else {
            return fail("\(value.text) is out of range (\(Units.format(range.lowerBound))...\(Units.format(range.upperBound)))")
        }
        return duration
    }

    func size(in range: ClosedRange<Int>) -> Int? {
        guard let value = scalar, !value.isNull else {
            return fail("expected a size (bytes, or 512KiB, 10MiB, 1GiB, 10MB...), got \(describe(node))")
        }
        guard let bytes = Units.bytes(value.text) else {
            return fail("\(quoted(value.text)) is not a size (bytes, or 512KiB, 10MiB, 1GiB, 10MB...)")
        }
        guard range.contains(bytes) else {
            return fail("\(value.text) is out of range (\(Units.format(bytes: range.lowerBound))...\(Units.format(bytes: range.upperBound)))")
        }
        return bytes
    }

    /// The elements of a sequence (null reads as an empty one).
    func items(of what: String = "values") -> [ConfigValue]? {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else {
            return fail("expected a sequence of \(what) (- item lines or [a, b]), got \(describe(node))")
        }
        return sequence.enumerated().map { ConfigValue(node: $1, path: path.index($0), log: log) }
    }

    func section(keys: [String]) -> ConfigSection {
        ConfigSection(node, path: path, log: log, keys: keys)
    }
}
