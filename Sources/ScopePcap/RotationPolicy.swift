import ScopeCore

/// When to switch to the next output file, as Wireshark's `dumpcap -b`:
/// `filesize:KB`, `duration:S`, `files:N`. Kilobytes are 1000 bytes, as in
/// Wireshark (its man page: "-b filesize:1000 -b files:5 results in a ring
/// buffer of five files of size one megabyte each"); dpdk-dumpcap's -a
/// filesize uses 1024, so this is a deliberate choice of the Wireshark meaning.
public struct RotationPolicy: Sendable, Equatable {
    /// Switch once the current file holds at least this many bytes.
    public var fileSizeBytes: UInt64?
    /// Switch once the current file has been open this long.
    public var durationNanoseconds: UInt64?
    /// Keep only the newest N files, deleting older ones.
    public var maximumFiles: Int?

    public init(fileSizeBytes: UInt64? = nil, durationNanoseconds: UInt64? = nil, maximumFiles: Int? = nil) {
        self.fileSizeBytes = fileSizeBytes
        self.durationNanoseconds = durationNanoseconds
        self.maximumFiles = maximumFiles
    }

    /// Whether any switching condition is set; `files:` alone is not one
    /// (dumpcap refuses a ring buffer with neither size nor duration).
    public var rotates: Bool { fileSizeBytes != nil || durationNanoseconds != nil }

    /// Applies one `-b` argument such as "filesize:1000".
    public mutating func apply(_ argument: String) throws(ScopeError) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = UInt64(parts[1]), value > 0 else {
            throw ScopeError(.usageOrAttach, "invalid ring buffer option '\(argument)': expected filesize:KB, duration:SECONDS or files:N with N > 0")
        }
        switch parts[0] {
        case "filesize":
            guard value <= UInt64.max / 1000 else { throw ScopeError(.usageOrAttach, "ring buffer filesize \(value) kB is too large") }
            fileSizeBytes = value * 1000
        case "duration":
            guard value <= UInt64.max / 1_000_000_000 else { throw ScopeError(.usageOrAttach, "ring buffer duration \(value) s is too large") }
            durationNanoseconds = value * 1_000_000_000
        case "files":
            guard value <= 100_000 else { throw ScopeError(.usageOrAttach, "ring buffer files:\(value) exceeds 100000") }
            maximumFiles = Int(value)
        default:
            throw ScopeError(.usageOrAttach, "unknown ring buffer condition '\(parts[0])' (use filesize, duration or files)")
        }
    }
}
