/// "did you mean ...?" for a misspelt key or value: the known word that is
/// the same modulo case and separators, else one it abbreviates ("warn"),
/// else the nearest within a small edit distance (at most 2, and less than
/// half the word).
enum KeySuggestion {
    static func closest(to key: String, among known: [String]) -> String? {
        let normalized = squeeze(key)
        if let same = known.first(where: { squeeze($0) == normalized }) { return same }
        if normalized.count >= 3, let longer = known.first(where: { squeeze($0).hasPrefix(normalized) }) {
            return longer
        }
        var best: (key: String, distance: Int)?
        for candidate in known {
            let distance = editDistance(Array(key.lowercased()), Array(candidate))
            if distance <= 2, distance * 2 < max(key.count, candidate.count), distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.key
    }

    private static func squeeze(_ text: String) -> String {
        String(text.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Levenshtein distance over two short words (keys), one row at a time.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
