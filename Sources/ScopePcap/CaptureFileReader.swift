#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// Reads classic pcap (either byte order, µs or ns) and pcapng (every
/// section, every interface with its own link type, if_tsresol and
/// if_tsoffset; EPB, SPB, obsolete PB, ISB; other blocks skipped) for offline
/// analysis. One reusable buffer, no allocation per packet, bounded memory:
/// a block longer than `maximumBlockLength` is an error, not an allocation.
/// Errors are ScopeErrors naming the file and offset. A file that ends
/// mid-block is not an error: `next()` returns nil and `isTruncated` is set.
/// gzip-compressed files (recognised by their magic, not their name) are
/// decompressed while reading, in bounded memory; a cut-off or corrupt gzip
/// stream is an error.
public final class CaptureFileReader {
    public enum Format: Sendable, Equatable {
        case pcap(nanosecond: Bool, bigEndian: Bool)
        case pcapng
    }

    public static let defaultMaximumBlockLength = 64 << 20

    public let path: String
    public let format: Format
    /// Interfaces of the current pcapng section (one for pcap).
    @exclusivity(unchecked) public internal(set) var interfaces: [CaptureInterface] = []
    /// The current section's SHB options (pcapng).
    @exclusivity(unchecked) public internal(set) var section = SectionHeaderBlock()
    @exclusivity(unchecked) public internal(set) var sectionCount = 0
    @exclusivity(unchecked) public internal(set) var isTruncated = false
    @exclusivity(unchecked) public internal(set) var packetsRead = 0

    let maximumBlockLength: Int
    // Exempt from dynamic exclusivity checks (a third of the per-packet
    // cost); a reader is used from one thread at a time.
    @exclusivity(unchecked) var source: FileByteSource
    @exclusivity(unchecked) var bigEndian = false
    @exclusivity(unchecked) private var finished = false

    public init(path: String, maximumBlockLength: Int = CaptureFileReader.defaultMaximumBlockLength) throws {
        self.path = path
        self.maximumBlockLength = max(maximumBlockLength, 64)
        let fd = path == "-" ? dup(0) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ScopeError(.usageOrAttach, "cannot open capture file \(path): \(WriteFailure.describe(errno))")
        }
        source = FileByteSource(fd: fd, name: path, maximumCapacity: self.maximumBlockLength + 64)
        guard try source.fill(4) else {
            throw ScopeError(.failure, "\(path) is \(source.available == 0 ? "empty" : "too short to be a capture file")")
        }
        if source.pointer.load(as: UInt8.self) == 0x1F && (source.pointer + 1).load(as: UInt8.self) == 0x8B {
            try source.decompressGzip()
            guard try source.fill(4) else {
                throw ScopeError(.failure, "\(path) decompresses to \(source.available == 0 ? "nothing" : "too little to be a capture file")")
            }
        }
        let magic = source.pointer.loadUnaligned(as: UInt32.self)
        let p = ClassicPcapFileHeader.self
        switch UInt32(littleEndian: magic) {
        case PcapngBlockType.sectionHeader: format = .pcapng
        case p.microsecondMagic: format = .pcap(nanosecond: false, bigEndian: false)
        case p.nanosecondMagic: format = .pcap(nanosecond: true, bigEndian: false)
        case p.microsecondMagic.byteSwapped: format = .pcap(nanosecond: false, bigEndian: true)
        case p.nanosecondMagic.byteSwapped: format = .pcap(nanosecond: true, bigEndian: true)
        default:
            throw ScopeError(.failure, "\(path) is not a pcap or pcapng capture file\(source.isCompressed ? " (after gzip decompression)" : "")")
        }
        if case .pcap(let nanosecond, let bigEndian) = format {
            try readPcapHeader(nanosecond: nanosecond, bigEndian: bigEndian)
        }
    }

    /// The next packet, or nil at the end of the file (check `isTruncated`).
    /// After a thrown error, further calls return nil.
    public func next() throws -> CapturedPacket? {
        guard !finished else { return nil }
        do {
            let packet = try format == .pcapng ? nextPcapngPacket() : nextPcapPacket()
            if packet == nil { finished = true } else { packetsRead += 1 }
            return packet
        } catch {
            finished = true
            // Zeros where the file was cut look like a corrupt block: say what happened.
            if source.shrank { throw source.shrankError }
            throw error
        }
    }

    /// At end of input: clean if nothing is left over, truncated otherwise.
    func endOfInput() -> CapturedPacket? {
        if source.available > 0 { isTruncated = true }
        return nil
    }

    func corrupt(_ what: String, at offset: UInt64) -> ScopeError {
        ScopeError(.failure, "\(path): \(what) at \(source.isCompressed ? "uncompressed " : "")offset \(offset) (corrupt capture file?)")
    }
}
