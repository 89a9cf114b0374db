import Yams

/// How dpdkscope reads a YAML scalar: the YAML 1.2 core schema, strictly.
/// - null: plain `null`, `Null`, `NULL`, `~`, or no value at all;
/// - booleans: plain `true`/`false` (`True`, `TRUE`, ... too). YAML 1.1's
///   `yes`/`no`/`on`/`off` are refused rather than read as strings, because
///   `enabled: no` silently meaning the string "no" would surprise;
/// - numbers: plain decimal integers;
/// - a quoted (or block) scalar is always a string, so
///   `port: "80"` is refused where a number is expected.
struct ScalarText {
    let text: String
    let isPlain: Bool

    init(_ scalar: Node.Scalar) {
        text = scalar.string
        // Style, not tag: Yams resolves tags lazily and in place (hashing a
        // key resolves it), so a tag cannot tell "quoted" from "plain".
        isPlain = scalar.style == .plain || scalar.style == .any
    }

    var isNull: Bool { isPlain && ["", "~", "null", "Null", "NULL"].contains(text) }

    var bool: Bool? {
        guard isPlain else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// Words YAML 1.1 (and so many other tools) read as booleans.
    var isLegacyBool: Bool {
        isPlain && ["y", "yes", "n", "no", "on", "off"].contains(text.lowercased())
    }

    /// Decimal digits with an optional sign: the syntax of an integer,
    /// whether or not it fits in an Int.
    var isIntegerSyntax: Bool {
        guard isPlain else { return false }
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// nil when not an integer or too large for Int (never traps).
    var integer: Int? { isIntegerSyntax ? Int(text) : nil }
}

/// A node described for an error message: "a mapping", "the string \"abc\"".
func describe(_ node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a sequence"
    case .alias: return "an alias"
    case .scalar(let scalar):
        let value = ScalarText(scalar)
        if value.isNull { return "null" }
        if value.bool != nil { return "the boolean \(value.text)" }
        if value.isIntegerSyntax { return "the number \(value.text)" }
        return (value.isPlain ? "" : "the string ") + quoted(value.text)
    }
}

/// A user's text inside a one-line message: escaped, and cut when long.
func quoted(_ text: String) -> String {
    let limit = 60
    let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
    return String(reflecting: shown)
}
