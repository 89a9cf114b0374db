/// Everything the writer needs to know before the first packet.
public struct CaptureFileConfiguration: Sendable {
    public enum Format: Sendable, Equatable {
        /// Default: SHB + one IDB per captured port, EPBs as the primary built them.
        case pcapng
        /// `-P`: classic libpcap, nanosecond magic, Ethernet, one implicit interface.
        case pcap
    }

    /// Output file, or "-" for standard output (no rotation there).
    public var path: String
    public var format: Format
    public var snapLength: UInt32
    /// `-g`: files are created 0640 instead of 0600.
    public var groupReadable: Bool
    public var rotation: RotationPolicy
    /// Template for every file's Section Header Block.
    public var section: SectionHeaderBlock
    /// One IDB per interface, in file order; packets name them by index.
    public var interfaces: [InterfaceDescriptionBlock]
    /// fsync(2) each file before closing it (slower; survives power loss).
    public var fsyncOnClose: Bool
    /// writev batch limits: a flush happens before either would be exceeded.
    public var maximumBatchVectors: Int
    public var maximumBatchBytes: Int
    /// Drop what is written from the page cache behind the write position
    /// (see CaptureFileWriter.dropBehind); regular files only.
    public var dropBehind: Bool

    public init(path: String, format: Format = .pcapng, snapLength: UInt32 = 262_144,
                groupReadable: Bool = false, rotation: RotationPolicy = RotationPolicy(),
                section: SectionHeaderBlock = SectionHeaderBlock(),
                interfaces: [InterfaceDescriptionBlock] = [], fsyncOnClose: Bool = false,
                maximumBatchVectors: Int = 512, maximumBatchBytes: Int = 1 << 20, dropBehind: Bool = true) {
        self.path = path
        self.format = format
        self.snapLength = snapLength
        self.groupReadable = groupReadable
        self.rotation = rotation
        self.section = section
        self.interfaces = interfaces
        self.fsyncOnClose = fsyncOnClose
        self.maximumBatchVectors = maximumBatchVectors
        self.maximumBatchBytes = maximumBatchBytes
        self.dropBehind = dropBehind
    }

    public var writesToStandardOutput: Bool { path == "-" }
    /// How files are named in error messages.
    var displayName: String { writesToStandardOutput ? "standard output" : path }
    public var fileMode: UInt32 { groupReadable ? 0o640 : 0o600 }
}
