import ScopeDecode

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The Public Suffix List (publicsuffix.org): which trailing labels of a
/// name are a public suffix ("co.uk"), so the label before it makes the
/// registered domain ("example.co.uk"). Normal rules, wildcards ("*.ck"),
/// exceptions ("!www.ck"); the longest matching rule wins, an exception wins
/// over everything, and with no match the default rule "*" makes the last
/// label the suffix. Matching is ASCII case-insensitive; internationalised
/// rules stay in Unicode, so punycode names ("xn--...") match only punycode
/// rules, as the list is shipped.
///
/// Stored as a trie of labels read right to left, in one dictionary keyed by
/// (parent node, label): a lookup is one small-string probe per label.
public struct PublicSuffixList: Sendable {
    /// Debian's `publicsuffix` package.
    public static let defaultPath = "/usr/share/publicsuffix/public_suffix_list.dat"
    /// Loaded on first use, once per process; nil when the file is missing,
    /// unreadable or past the limits (the DNS fields are then left out).
    public static let system: PublicSuffixList? = PublicSuffixList(contentsOf: defaultPath)

    /// The real list is about 250 KB and 10,000 rules: these bound memory
    /// against a corrupt or hostile file.
    public static let maxFileBytes = 4 << 20
    public static let maxNodes = 200_000

    private struct Edge: Hashable, Sendable {
        var parent: Int32
        var label: String
    }

    private struct Kinds: OptionSet, Sendable {
        let rawValue: UInt8
        static let normal = Kinds(rawValue: 1)
        /// "*.<this node>" is a rule.
        static let wildcard = Kinds(rawValue: 2)
        static let exception = Kinds(rawValue: 4)
    }

    private var children: [Edge: Int32] = [:]
    private var kinds: [Kinds] = [[]]  // node 0: the root
    public private(set) var ruleCount = 0

    /// Parses the list's text format: one rule per line, read up to the first
    /// whitespace; "//" comments and blank lines skipped; malformed rules
    /// (empty labels, a "*" anywhere but first) ignored. nil past `maxNodes`
    /// trie nodes (about one per distinct rule label).
    public init?(parsing text: some Collection<UInt8>, maxNodes: Int = Self.maxNodes) {
        let lines = text.split(separator: UInt8(ascii: "\n"))
        // About one trie node per line, reserved up front: a dictionary
        // that grows rehashes every edge (a String hash each) as it doubles.
        children.reserveCapacity(min(lines.count, maxNodes))
        for line in lines {
            let rule = line.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") }
            guard !rule.isEmpty, !rule.starts(with: "//".utf8) else { continue }
            guard add(rule: Array(rule), maxNodes: maxNodes) else { return nil }
        }
    }

    public init?(parsing text: String, maxNodes: Int = Self.maxNodes) { self.init(parsing: Array(text.utf8), maxNodes: maxNodes) }

    /// nil when the file is missing, unreadable, larger than `maxFileBytes`
    /// or holds too many rules.
    public init?(contentsOf path: String) {
        guard let bytes = Self.readFile(path) else { return nil }
        self.init(parsing: bytes)
    }

    /// false only when the node limit is reached.
    private mutating func add(rule: [UInt8], maxNodes: Int) -> Bool {
        var body = rule[...]
        var kind = Kinds.normal
        if body.first == UInt8(ascii: "!") {
            kind = .exception
            body = body.dropFirst()
        } else if body.starts(with: "*.".utf8) {
            kind = .wildcard
            body = body.dropFirst(2)
        }
        let labels = body.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard !labels.isEmpty, labels.allSatisfy({ !$0.isEmpty && !$0.contains(UInt8(ascii: "*")) }) else { return true }
        var node: Int32 = 0
        for label in labels.reversed() {
            // Internationalised rules are matched in their wire form.
            guard let text = Punycode.asciiLabel(String(decoding: label.map(Self.asciiLowercase), as: UTF8.self)) else { return true }
            let edge = Edge(parent: node, label: text)
            if let next = children[edge] {
                node = next
                continue
            }
            guard kinds.count < maxNodes else { return false }
            node = Int32(kinds.count)
            kinds.append([])
            children[edge] = node
        }
        kinds[Int(node)].insert(kind)
        ruleCount += 1
        return true
    }

    /// The name's public suffix, registered domain and subdomain, lowercased;
    /// nil for the root, an empty label, or a name with presentation escapes
    /// ("\." or "\DDD": not a host name, and its dots are not all separators).
    public func split(_ name: String) -> DomainParts? {
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else { return splitByCharacter(name) }
        return Self.withLowered(name) { lower in
            guard let cut = cut(lowered: lower) else { return nil }
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: lower[range]), as: UTF8.self) }
            let subdomain = cut.registeredStart.flatMap { $0 > 0 ? text(0..<($0 &- 1)) : nil }
            return DomainParts(topLevelDomain: text(cut.suffixStart..<lower.count),
                               registeredDomain: cut.registeredStart.map { text($0..<lower.count) }, subdomain: subdomain)
        }
    }

    /// Where the parts of an ASCII name begin, as byte offsets.
    struct Cut {
        var suffixStart: Int
        /// nil when the name is itself a public suffix; the subdomain is
        /// what precedes it, less the dot.
        var registeredStart: Int?
    }

    /// `split` on an ASCII name's bytes, lowercased: the labels are walked
    /// right to left in place, with no String but the small one per label
    /// the trie lookup needs. nil as `split`.
    func cut(lowered lower: UnsafeBufferPointer<UInt8>) -> Cut? {
        let dot = UInt8(ascii: ".")
        let count = lower.count
        guard count > 0, lower[count &- 1] != dot else { return nil }  // also the root "."
        var previous = dot  // a leading dot is an empty first label
        for byte in lower {
            guard byte != UInt8(ascii: "\\"), byte != dot || previous != dot else { return nil }
            previous = byte
        }
        var suffixLabels = 0
        var node: Int32 = 0
        var end = count
        var depth = 0
        while end > 0 {
            var start = end
            while start > 0 && lower[start &- 1] != dot { start &-= 1 }
            // "*.<suffix so far>" covers this label too.
            if kinds[Int(node)].contains(.wildcard) { suffixLabels = max(suffixLabels, depth &+ 1) }
            let label = String(decoding: UnsafeBufferPointer(rebasing: lower[start..<end]), as: UTF8.self)
            guard let next = children[Edge(parent: node, label: label)] else { break }
            node = next
            if kinds[Int(node)].contains(.exception) {
                suffixLabels = depth  // the exception rule less its first label
                break
            }
            if kinds[Int(node)].contains(.normal) { suffixLabels = max(suffixLabels, depth &+ 1) }
            depth &+= 1
            end = start &- 1
        }
        suffixLabels = max(suffixLabels, 1)  // the default rule "*"
        /// Where the last `n` labels begin; nil when the name has fewer than `n`.
        func start(ofLast n: Int) -> Int? {
            var seen = 0
            var index = count
            while index > 0 {
                index &-= 1
                if lower[index] == dot {
                    seen &+= 1
                    if seen == n { return index &+ 1 }
                }
            }
            return seen &+ 1 == n ? 0 : nil
        }
        guard let suffixStart = start(ofLast: suffixLabels), let registeredStart = start(ofLast: suffixLabels &+ 1) else {
            return Cut(suffixStart: 0, registeredStart: nil)  // the whole name is a suffix
        }
        return Cut(suffixStart: suffixStart, registeredStart: registeredStart)
    }

    /// `registered_domain`, `top_level_domain` and `subdomain` as `split`
    /// cuts them, written from the lowered bytes without a String per part.
    func appendParts(of name: String, to json: inout JSONCursor) {
        guard Self.isASCII(name) else {
            guard let parts = splitByCharacter(name) else { return }
            if let registered = parts.registeredDomain { json.field("registered_domain", registered) }
            json.field("top_level_domain", parts.topLevelDomain)
            if let subdomain = parts.subdomain { json.field("subdomain", subdomain) }
            return
        }
        Self.withLowered(name) { lower in
            guard let cut = cut(lowered: lower) else { return }
            func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: lower[range])) }
            if let registered = cut.registeredStart {
                json.key("registered_domain")
                json.string(utf8: bytes(registered..<lower.count))
            }
            json.key("top_level_domain")
            json.string(utf8: bytes(cut.suffixStart..<lower.count))
            if let registered = cut.registeredStart, registered > 0 {
                json.key("subdomain")
                json.string(utf8: bytes(0..<(registered &- 1)))
            }
        }
    }

    /// The name's bytes, ASCII letters lowered, in a temporary buffer.
    private static func withLowered<R>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let count = name.utf8.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            let copied: Void? = name.utf8.withContiguousStorageIfAvailable { source in
                for index in 0..<count { buffer[index] = asciiLowercase(source[index]) }
            }
            if copied == nil {
                var index = 0
                for byte in name.utf8 {
                    buffer[index] = asciiLowercase(byte)
                    index &+= 1
                }
            }
            return body(UnsafeBufferPointer(start: buffer.baseAddress, count: count))
        }
    }

    /// Whether every byte is ASCII, over the string's own storage when it
    /// has one (a byte-wise walk of `utf8` cost some 600 instructions a name).
    private static func isASCII(_ name: String) -> Bool {
        name.utf8.withContiguousStorageIfAvailable { bytes in
            var any: UInt8 = 0
            for byte in bytes { any |= byte }
            return any < 0x80
        } ?? name.utf8.allSatisfy { $0 < 0x80 }
    }

    /// `split` for names with non-ASCII text, cut by Character.
    func splitByCharacter(_ name: String) -> DomainParts? {
        guard !name.isEmpty, name != ".", !name.utf8.contains(UInt8(ascii: "\\")) else { return nil }
        let lower = name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? String(decoding: name.utf8.map(Self.asciiLowercase), as: UTF8.self) : name
        let labels = Self.labels(of: lower)
        guard labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        var suffixLabels = 0
        var node: Int32 = 0
        for (depth, label) in labels.reversed().enumerated() {
            // "*.<suffix so far>" covers this label too.
            if kinds[Int(node)].contains(.wildcard) { suffixLabels = max(suffixLabels, depth &+ 1) }
            guard let next = children[Edge(parent: node, label: String(label))] else { break }
            node = next
            if kinds[Int(node)].contains(.exception) {
                suffixLabels = depth  // the exception rule less its first label
                break
            }
            if kinds[Int(node)].contains(.normal) { suffixLabels = max(suffixLabels, depth &+ 1) }
        }
        suffixLabels = max(suffixLabels, 1)  // the default rule "*"
        let count = labels.count
        func tail(_ n: Int) -> String { String(lower[labels[count &- n].startIndex...]) }
        guard count > suffixLabels else { return DomainParts(topLevelDomain: tail(count), registeredDomain: nil, subdomain: nil) }
        let registered = labels[count &- suffixLabels &- 1]
        let subdomain = count > suffixLabels &+ 1 ? String(lower[..<lower.index(before: registered.startIndex)]) : nil
        return DomainParts(topLevelDomain: tail(suffixLabels), registeredDomain: tail(suffixLabels &+ 1), subdomain: subdomain)
    }

    /// The name cut at its dots, as Character-wise `split` cuts it. In ASCII
    /// (nearly every name) each byte is its own Character as far as "." is
    /// concerned, so the cut is made on the bytes: splitting by Character
    /// was two thirds of a DNS event. Other names (a combining mark can
    /// join a dot into one Character) keep the Character split.
    static func labels(of name: String) -> [Substring] {
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else { return name.split(separator: ".", omittingEmptySubsequences: false) }
        return name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { Substring($0) }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { return nil }
            if got == 0 { return bytes }
            guard bytes.count + got <= maxFileBytes else { return nil }
            bytes += chunk[..<got]
        }
    }
}

/// A host name cut by the Public Suffix List (ECS `dns.question.*`).
public struct DomainParts: Equatable, Sendable {
    /// The public suffix: "co.uk" of "www.example.co.uk".
    public var topLevelDomain: String
    /// The suffix and one more label: "example.co.uk"; nil when the name is
    /// itself a public suffix.
    public var registeredDomain: String?
    /// What precedes the registered domain: "www"; nil when nothing does.
    public var subdomain: String?
}
