import Yams

/// One mapping of the schema. Keys outside `keys` are reported with a "did
/// you mean" hint; an absent or null section reads as empty (all defaults).
struct ConfigSection {
    let path: ConfigPath
    let log: ErrorLog
    /// Where the section starts, for problems of the section as a whole.
    let line: Int?
    private var values: [String: ConfigValue] = [:]

    init(_ node: Node?, path: ConfigPath, log: ErrorLog, keys: [String]) {
        self.path = path
        self.log = log
        line = node?.mark?.line
        guard let node else { return }
        if case .scalar(let scalar) = node, ScalarText(scalar).isNull { return }
        guard case .mapping(let mapping) = node else {
            log.report(path, line: node.mark?.line, "expected a mapping (key: value lines), got \(describe(node))")
            return
        }
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode, !keyScalar.string.isEmpty else {
                log.report(path, line: keyNode.mark?.line, "keys must be names, got \(describe(keyNode))")
                continue
            }
            let key = keyScalar.string
            guard keys.contains(key) else {
                let hint = KeySuggestion.closest(to: key, among: keys).map { "did you mean \($0)?" }
                    ?? "known keys: \(keys.joined(separator: ", "))"
                log.report(path.key(key), line: keyNode.mark?.line, "unknown key (\(hint))")
                continue
            }
            // Yams already refuses duplicate keys; kept so a repeat can never
            // silently override an earlier value.
            guard values[key] == nil else {
                log.report(path.key(key), line: keyNode.mark?.line, "duplicate key")
                continue
            }
            values[key] = ConfigValue(node: valueNode, path: path.key(key), log: log)
        }
    }

    subscript(key: String) -> ConfigValue? { values[key] }

    /// Reports a problem of the section as a whole (or of a key it lacks).
    func report(_ message: String, at key: String? = nil) {
        log.report(key.map(path.key) ?? path, line: line, message)
    }

    /// Sets `target` from `key` when the key is present and its value valid;
    /// otherwise `target` keeps its default (and any problem is reported).
    func read<Value>(_ key: String, into target: inout Value, _ parse: (ConfigValue) -> Value?) {
        if let value = values[key], let parsed = parse(value) { target = parsed }
    }

    /// A nested section; absent reads as empty.
    func section(_ key: String, keys: [String]) -> ConfigSection {
        ConfigSection(values[key]?.node, path: path.key(key), log: log, keys: keys)
    }
}
