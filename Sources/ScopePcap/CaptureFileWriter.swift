#if canImport(Glibc)
import Glibc
#endif
import ScopeCore

/// Writes capture files from EPBs the primary built in our mbufs, without
/// copying packet bytes: each packet becomes one iovec pointing into its
/// mbuf, flushed with writev. For pcap the record header is written over the
/// EPB header in place (`EnhancedPacketBlock.rewriteAsPcapRecord`). Because the iovecs point into the caller's mbufs, every
/// packet carries an opaque `token` (its mbuf) that the writer hands back
/// through `release` once the bytes are written (or dropped on error); the
/// caller frees mbufs there. Packets stay queued until the batch fills,
/// `flush()`, `rotate*` or `close()`: call `flush()` when the ring runs dry.
///
/// Not thread-safe; one capture loop owns it. Little-endian hosts only (the
/// EPBs arrive in host order and the file headers are written little-endian).
public final class CaptureFileWriter {
    /// Current counters for interface `index` (ISB contents); called once
    /// per interface each time a pcapng file is closed.
    public typealias StatisticsProvider = (_ interfaceIndex: Int) -> InterfaceStatistics
    /// Receives tokens of packets whose bytes are no longer referenced.
    public typealias ReleaseHandler = (UnsafeMutableBufferPointer<UnsafeMutableRawPointer>) -> Void

    public let configuration: CaptureFileConfiguration
    /// Bytes (headers included) and packets accepted, over all files.
    @exclusivity(unchecked) public internal(set) var totalBytes: UInt64 = 0
    @exclusivity(unchecked) public internal(set) var totalPackets: UInt64 = 0
    /// The same for the file being written.
    @exclusivity(unchecked) public internal(set) var fileBytes: UInt64 = 0
    @exclusivity(unchecked) public internal(set) var filePackets: UInt64 = 0
    /// Path of the file being written ("-" for standard output).
    public internal(set) var currentPath: String
    /// Where the crash guard learns how much of the file is whole.
    let crashSlot: CrashTruncationGuard.Slot?
    /// Ring-buffer number of the current file (1-based; 0 without rotation).
    public internal(set) var fileNumber = 0
    /// Files written so far that still exist, oldest first.
    public internal(set) var keptFiles: [String] = []

    let statistics: StatisticsProvider
    let release: ReleaseHandler?
    let namer: RingFileNamer?
    let captureStartRealtime: UInt64
    var fileOpenedMonotonic: UInt64 = 0
    var fd: Int32 = -1
    @exclusivity(unchecked) var isClosed = false
    /// File offset at which the next drop-behind is due (.max: never, as for
    /// pipes, devices and standard output).
    var nextDropBehind: UInt64 = .max

    // Hot-path state is exempt from dynamic exclusivity checks: they cost
    // ~50 ns a packet, and the writer is single-threaded by contract.
    @exclusivity(unchecked) var batch: IOVecBatch
    private let fileSizeLimit: UInt64
    private let interfaceCount: UInt32
    private let isPcapng: Bool
    private let tokens: UnsafeMutablePointer<UnsafeMutableRawPointer>
    @exclusivity(unchecked) private var tokenCount = 0
    /// Where each queued packet ends within the batch, so a failed write
    /// (disk full) can cut the file back to its last whole packet.
    private let packetEnds: UnsafeMutablePointer<Int>
    private let packetEndCapacity: Int
    @exclusivity(unchecked) private var packetEndCount = 0

    /// Opens the first file and writes its headers.
    public init(configuration: CaptureFileConfiguration,
                statistics: @escaping StatisticsProvider = { _ in InterfaceStatistics() },
                release: ReleaseHandler? = nil, crashGuard: CrashTruncationGuard? = nil) throws {
        let c = configuration
        if c.writesToStandardOutput && (c.rotation.rotates || c.rotation.maximumFiles != nil) {
            throw ScopeError(.usageOrAttach, "ring buffer options (-b) need an output file name, not standard output")
        }
        if c.rotation.maximumFiles != nil && !c.rotation.rotates {
            throw ScopeError(.usageOrAttach, "ring buffer files:N needs filesize: or duration: as well")
        }
        if c.format == .pcapng && c.interfaces.isEmpty {
            throw ScopeError(.usageOrAttach, "a pcapng capture needs at least one interface")
        }
        self.configuration = c
        self.statistics = statistics
        self.release = release
        namer = c.rotation.rotates ? RingFileNamer(path: c.path) : nil
        currentPath = c.path
        captureStartRealtime = CaptureClock.realtimeNanoseconds()
        fileSizeLimit = c.rotation.fileSizeBytes ?? .max
        interfaceCount = UInt32(clamping: c.interfaces.count)
        isPcapng = c.format == .pcapng
        batch = IOVecBatch(capacity: min(max(c.maximumBatchVectors, 2), IOVecBatch.systemLimit), stagingBytes: c.maximumBatchBytes)
        // Staged packets share vectors, so a batch can hold far more packets
        // than vectors: at most one per 16 staged bytes (the smallest pcap
        // record); prepare() flushes before this fills regardless.
        packetEndCapacity = batch.capacity + batch.stagingCapacity / 16
        packetEnds = .allocate(capacity: packetEndCapacity)
        tokens = .allocate(capacity: packetEndCapacity)
        crashSlot = c.writesToStandardOutput ? nil : crashGuard?.makeSlot()
        try openNextFile()
    }

    deinit {
        // Abandoned without close(): give the mbufs back and close the fd;
        // the file keeps what was already written.
        batch.removeAll()
        releaseTokens()
        if fd >= 0 && fd != 1 { _ = systemClose(fd) }
        tokens.deallocate()
        packetEnds.deallocate()
    }

    /// Queues one contiguous DPDK-built EPB (a single-segment mbuf). Sets its
    /// interface id to `interface` in place. If this throws, the packet was
    /// not taken: its token stays with the caller.
    @inline(__always)
    public func append(_ block: UnsafeMutableRawBufferPointer, interface: UInt32, token: UnsafeMutableRawPointer? = nil) throws {
        let epb: EnhancedPacketBlock
        do { epb = try EnhancedPacketBlock(validating: block) } catch { throw malformed(error) }
        try prepare(interface: interface, vectors: 1, bytes: block.count)
        let record: UnsafeRawBufferPointer
        if isPcapng {
            epb.interfaceID = interface
            record = UnsafeRawBufferPointer(start: epb.base, count: epb.blockLength)
        } else {
            record = epb.rewriteAsPcapRecord()
        }
        if record.count <= Self.copyThreshold && record.count <= batch.stagingFree {
            batch.appendCopy(record.baseAddress!, record.count)
        } else {
            batch.append(record.baseAddress!, record.count)
        }
        account(bytes: record.count, token: token)
    }

    /// Records up to this size are copied into the batch (see IOVecBatch).
    static let copyThreshold = 2048

    /// True while queued packets still point into caller memory (large or
    /// multi-segment packets): flush before giving that memory back.
    public var holdsCallerMemory: Bool { batch.borrowedCount > 0 }

    /// Queues an EPB spread over several mbuf segments: the 28-byte header in
    /// the first, the trailing length in the last.
    public func append(segments: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>, interface: UInt32,
                       token: UnsafeMutableRawPointer? = nil) throws {
        guard let head = segments.first, head.count >= EnhancedPacketBlock.headerSize, let base = head.baseAddress else {
            throw malformed(.tooShort(segments.first?.count ?? 0))
        }
        var total = 0
        for segment in segments { total += segment.count }
        guard total >= EnhancedPacketBlock.minimumSize else { throw malformed(.tooShort(total)) }
        do {
            try EnhancedPacketBlock.validateHeader(base, totalLength: total, trailer: Self.trailingWord(segments))
        } catch { throw malformed(error) }
        let captured = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
        try prepare(interface: interface, vectors: segments.count, bytes: total)
        if isPcapng {
            (base + 8).storeBytes(of: interface.littleEndian, as: UInt32.self)
            for segment in segments where segment.count > 0 { batch.append(segment.baseAddress!, segment.count) }
            account(bytes: total, token: token)
            return
        }
        // The record header goes in place in the first segment, just before
        // the data; then the captured bytes, wherever they continue.
        EnhancedPacketBlock(unchecked: base, blockLength: total).pcapRecordHeader().store(to: base + 12)
        var skip = 12, remaining = PcapRecordHeader.encodedSize + captured, bytes = 0
        for segment in segments where remaining > 0 {
            let start = min(skip, segment.count), length = min(segment.count - start, remaining)
            skip -= start
            if length > 0 { batch.append(segment.baseAddress! + start, length) }
            remaining -= length
            bytes += length
        }
        account(bytes: bytes, token: token)
    }

    /// Writes everything queued and releases the tokens.
    public func flush() throws {
        guard batch.count > 0 else { releaseTokens(); return }
        let committed = fileBytes &- UInt64(batch.byteCount)
        let code = batch.drain(to: fd)
        releaseTokens()
        let ends = packetEndCount
        packetEndCount = 0
        if code != 0 {
            cutToLastWholePacket(committed: committed, drained: batch.lastDrained, ends: ends, errno: code)
            throw WriteFailure.error(writing: displayName, errno: code)
        }
        crashSlot?.commit(fileBytes)
        if fileBytes >= nextDropBehind { dropBehind() }
    }

    /// Chunks in which written data leaves the page cache.
    static let dropBehindChunk: UInt64 = 16 << 20

    /// Written data is not read again by us, but the kernel would keep it
    /// cached and take a fresh page for every new write: at a few GB per
    /// second that evicts the application's memory, and on this VM fresh
    /// pages made the kernel's copy 3–6× slower than reused ones. So at each
    /// 16 MiB boundary, the chunk two back is handed to writeback
    /// (DONTNEED starts it and drops what is clean) and the chunk four back,
    /// written by now, is dropped.
    func dropBehind() {
        let boundary = fileBytes / Self.dropBehindChunk * Self.dropBehindChunk
        nextDropBehind = boundary + Self.dropBehindChunk
        for back: UInt64 in [2, 4] where boundary >= back * Self.dropBehindChunk {
            _ = posix_fadvise(fd, off_t(boundary - back * Self.dropBehindChunk), off_t(Self.dropBehindChunk),
                              POSIX_FADV_DONTNEED)
        }
    }

    /// After a failed write the file may end inside a packet; readers would
    /// call it corrupt. Truncate it to the end of the last packet that made
    /// it whole, and write nothing more (no ISB: there is no room anyway).
    private func cutToLastWholePacket(committed: UInt64, drained: Int, ends: Int, errno code: Int32) {
        guard code != EPIPE, fd > 2 else { return }
        var keep = 0
        for index in 0..<ends where packetEnds[index] <= drained { keep = packetEnds[index] }
        if ftruncate(fd, off_t(committed &+ UInt64(keep))) == 0 { crashSlot?.commit(committed &+ UInt64(keep)) }
        isClosed = true
    }

    // MARK: hot-path helpers

    /// Everything that can fail happens here, before the packet is taken.
    @inline(__always)
    private func prepare(interface: UInt32, vectors: Int, bytes: Int) throws {
        guard !isClosed else { throw ScopeError(.failure, "capture file \(displayName) is already closed") }
        if isPcapng && interface >= interfaceCount {
            throw ScopeError(.failure, "packet for interface \(interface), but the file declares \(interfaceCount)")
        }
        if fileBytes >= fileSizeLimit && filePackets > 0 { try rotate() }
        if vectors > batch.capacity {
            throw ScopeError(.failure, "packet has \(vectors - 1) segments, more than the \(batch.capacity)-entry write batch")
        }
        if batch.freeSlots < vectors || packetEndCount >= packetEndCapacity
            || (batch.count > 0 && batch.byteCount + bytes > configuration.maximumBatchBytes) {
            try flush()
        }
    }

    @inline(__always)
    private func account(bytes: Int, token: UnsafeMutableRawPointer?) {
        packetEnds[packetEndCount] = batch.byteCount
        packetEndCount &+= 1
        if let token {
            tokens[tokenCount] = token
            tokenCount &+= 1
        }
        fileBytes &+= UInt64(bytes)
        totalBytes &+= UInt64(bytes)
        filePackets &+= 1
        totalPackets &+= 1
    }

    func releaseTokens() {
        guard tokenCount > 0 else { return }
        let count = tokenCount
        tokenCount = 0
        release?(UnsafeMutableBufferPointer(start: tokens, count: count))
    }

    private func malformed(_ error: EnhancedPacketBlockError) -> ScopeError {
        ScopeError(.failure, "malformed packet block from the primary: \(error.message)")
    }

    var displayName: String { configuration.writesToStandardOutput ? "standard output" : currentPath }

    /// The last 4 bytes of a segment chain, which may straddle segments.
    private static func trailingWord(_ segments: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) -> UInt32 {
        var word: UInt32 = 0, needed = 4
        for segment in segments.reversed() where needed > 0 {
            for byte in segment.reversed() where needed > 0 {
                needed -= 1
                word |= UInt32(byte) << (8 * UInt32(needed))
            }
        }
        return word
    }
}
