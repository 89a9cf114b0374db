/// One line of /proc/PID/maps.
public struct MemoryMapping: Equatable, Sendable {
    public var start: UInt64
    public var end: UInt64
    public var permissions: String
    public var fileOffset: UInt64
    public var path: String

    /// Parses "start-end perms offset dev inode [path]"; nil for malformed lines.
    public init?(line: Substring) {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5 else { return nil }
        let bounds = fields[0].split(separator: "-")
        guard bounds.count == 2,
              let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16),
              let offset = UInt64(fields[2], radix: 16) else { return nil }
        self.start = start
        self.end = end
        permissions = String(fields[1])
        fileOffset = offset
        path = fields.count == 6 ? String(fields[5]).trimmingSpaces() : ""
    }
}

public struct ProcMaps: Sendable {
    public let mappings: [MemoryMapping]

    public init(text: String) {
        mappings = text.split(separator: "\n").compactMap(MemoryMapping.init(line:))
    }

    /// The address the file was loaded at: the start of its mapping at file
    /// offset 0 (what st_value of a shared object is relative to).
    public func loadBase(of path: String) -> UInt64? {
        mappings.first { $0.path == path && $0.fileOffset == 0 }?.start
    }

    /// Distinct file paths whose last component starts with `prefix`.
    public func paths(withBasenamePrefix prefix: String) -> [String] {
        var seen: [String] = []
        for mapping in mappings where mapping.path.hasPrefix("/") {
            let base = mapping.path.split(separator: "/").last.map(String.init) ?? ""
            if base.hasPrefix(prefix) && !seen.contains(mapping.path) { seen.append(mapping.path) }
        }
        return seen
    }

    public func contains(address: UInt64, length: UInt64) -> Bool {
        mappings.contains { $0.start <= address && address &+ length <= $0.end && $0.permissions.hasPrefix("r") }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
