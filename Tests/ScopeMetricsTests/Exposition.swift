import Foundation

/// A strict reader of the Prometheus text format (0.0.4) for checking
/// what `AgentMetrics` emits: every malformed line, every sample without
/// TYPE and HELP for its family, ends up in `problems`.
struct Exposition {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    private(set) var samples: [Sample] = []
    private(set) var types: [String: String] = [:]
    private(set) var helps: [String: String] = [:]
    private(set) var problems: [String] = []

    init(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ", maxSplits: 3)
                guard words.count >= 3, Self.isMetricName(words[2]) else {
                    problems.append("bad comment: \(line)")
                    continue
                }
                let rest = words.count > 3 ? String(words[3]) : ""
                if words[1] == "HELP" { helps[String(words[2])] = rest } else { types[String(words[2])] = rest }
            } else if line.hasPrefix("#") {
                continue
            } else if let sample = Self.parseSample(line) {
                let family = family(of: sample.name)
                if types[family] == nil { problems.append("no TYPE before \(line)") }
                if helps[family] == nil { problems.append("no HELP for \(line)") }
                samples.append(sample)
            } else {
                problems.append("bad sample: \(line)")
            }
        }
        for (name, type) in types where !["counter", "gauge", "histogram", "summary", "untyped"].contains(type) {
            problems.append("bad TYPE \(type) for \(name)")
        }
    }

    /// A histogram's `_bucket`, `_sum` and `_count` belong to its family.
    func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return name
    }

    func matching(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The sum over every sample of `name` whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        matching(name, labels).reduce(0) { $0 + $1.value }
    }

    /// [a-zA-Z_:][a-zA-Z0-9_:]*
    static func isMetricName<S: StringProtocol>(_ name: S) -> Bool {
        isName(name, colons: true)
    }

    /// [a-zA-Z_][a-zA-Z0-9_]*
    static func isLabelName(_ name: String) -> Bool {
        isName(name, colons: false)
    }

    private static func isName<S: StringProtocol>(_ name: S, colons: Bool) -> Bool {
        guard !name.isEmpty else { return false }
        for (index, byte) in name.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): continue
            case UInt8(ascii: ":") where colons: continue
            case UInt8(ascii: "0")...UInt8(ascii: "9") where index > 0: continue
            default: return false
            }
        }
        return true
    }

    /// `name{a="x",b="y\"z"} 1.5` or `name 3`.
    static func parseSample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard isMetricName(name) else { return nil }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { return nil }
                let label = String(rest[..<equals])
                guard isLabelName(label), labels[label] == nil else { return nil }
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                var value = ""
                while true {
                    guard let char = rest.first else { return nil }
                    rest = rest.dropFirst()
                    if char == "\"" { break }
                    if char == "\\" {
                        guard let escaped = rest.first else { return nil }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: return nil
                        }
                    } else {
                        value.append(char)
                    }
                }
                labels[label] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { return nil }
        let fields = rest.dropFirst().split(separator: " ")
        guard fields.count == 1 || fields.count == 2, let value = parseValue(fields[0]) else { return nil }
        if fields.count == 2 && Int64(fields[1]) == nil { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}
