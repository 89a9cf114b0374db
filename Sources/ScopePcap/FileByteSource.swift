#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore
import CMappedFile

/// The bytes of a capture file, handed out in place (no allocation per
/// packet).
///
/// A regular file is mapped: reading it through read(2) cost a copy of every
/// byte, a tenth of a whole analysis. A file that shrinks while mapped would
/// raise SIGBUS; the mapping is guarded (CMappedFile), so the rest of it
/// reads as zeros and `fill` reports the file as cut short instead. Bytes
/// appended after the mapping was made are read with read(2), as are pipes,
/// small files, and anything the mapping cannot serve.
///
/// Otherwise: buffered reads into one reusable buffer, which grows only to
/// fit one block, never past `maximumCapacity`. After `decompressGzip()` the
/// bytes come out of a streaming inflater instead.
struct FileByteSource: ~Copyable {
    private let fd: Int32
    private let name: String
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var reachedEnd = false
    private var inflater: GzipInflater?
    /// A read-only mapping of the file and its SIGBUS guard.
    private typealias Mapping = (base: UnsafeMutableRawPointer, length: Int, guardSlot: Int32)
    /// The whole file as it was when opened, while its bytes are being used.
    private var mapping: Mapping?
    let maximumCapacity: Int
    /// File offset of `pointer`, for error messages.
    private(set) var offset: UInt64 = 0

    /// Files below this are read: mapping them saves nothing.
    static let smallestMapped = 1 << 20
    /// Mapped pages behind the reader are let go in steps of this much, so
    /// a long file does not pile up in the process's resident memory.
    static let releaseStep = 32 << 20
    /// Mapped bytes before this offset were let go (MADV_DONTNEED).
    private var releasedUpTo = 0

    init(fd: Int32, name: String, maximumCapacity: Int) {
        self.fd = fd
        self.name = name
        self.maximumCapacity = max(maximumCapacity, 64)
        capacity = min(1 << 20, self.maximumCapacity)
        buffer = .allocate(byteCount: capacity, alignment: 16)
        mapping = Self.map(fd)
        if let mapping { end = mapping.length }
    }

    deinit {
        if let mapping { Self.unmap(mapping) }
        buffer.deallocate()
        close(fd)
    }

    private static func map(_ fd: Int32) -> Mapping? {
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_size >= smallestMapped,
              status.st_size <= Int.max / 2,
              let base = mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else { return nil }
        let length = Int(status.st_size)
        let slot = mapped_file_guard(base, length)
        guard slot >= 0 else {
            munmap(base, length)
            return nil
        }
        _ = madvise(base, length, MADV_SEQUENTIAL)
        return (base, length, slot)
    }

    private static func unmap(_ mapping: Mapping) {
        mapped_file_unguard(mapping.guardSlot)
        munmap(mapping.base, mapping.length)
    }

    /// The file shrank under the mapping: the bytes past its new end read
    /// as zeros, so whatever the reader made of them is moot.
    var shrank: Bool { mapping.map { mapped_file_faulted($0.guardSlot) != 0 } ?? false }
    var shrankError: ScopeError { ScopeError(.failure, "\(name) shrank while being read (near offset \(offset))") }

    var available: Int { end - start }
    /// True once the input turned out to be gzip: offsets are then into the
    /// decompressed stream.
    var isCompressed: Bool { inflater != nil }
    var pointer: UnsafeRawPointer {
        if let mapping { return UnsafeRawPointer(mapping.base + start) }
        return UnsafeRawPointer(buffer + start)
    }

    /// Makes `count` bytes available at `pointer` (which may move); false if
    /// the input ends first. Invalidates pointers handed out earlier.
    mutating func fill(_ count: Int) throws -> Bool {
        if let mapping {
            if mapped_file_faulted(mapping.guardSlot) != 0 { throw shrankError }
            // Pointers handed out before are invalid now: what lies behind
            // `start` is read and done with.
            if start &- releasedUpTo >= Self.releaseStep { releaseBehind(mapping) }
            if available >= count { return true }
            try leaveMapping()
        }
        if available >= count { return true }
        guard count <= maximumCapacity else { throw ScopeError(.failure, "\(name): internal read of \(count) bytes over the limit") }
        if start > 0 {
            if available > 0 { memmove(buffer, buffer + start, available) }
            end -= start
            start = 0
        }
        if count > capacity {
            let grown = min(max(count, capacity * 2), maximumCapacity)
            let replacement = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
            replacement.copyMemory(from: buffer, byteCount: end)
            buffer.deallocate()
            buffer = replacement
            capacity = grown
        }
        while available < count && !reachedEnd {
            if let inflater {
                let n = try inflater.read(into: buffer + end, capacity: capacity - end)
                if n == 0 { reachedEnd = true } else { end += n }
                continue
            }
            let n = read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw ScopeError(.failure, "cannot read \(name): \(WriteFailure.describe(errno))")
            }
            if n == 0 { reachedEnd = true } else { end += n }
        }
        return available >= count
    }

    /// Unmaps (from this process; the page cache keeps them) the pages
    /// already read, as read(2) into one buffer would never have held them.
    private mutating func releaseBehind(_ mapping: Mapping) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let upTo = start / page * page
        guard upTo > releasedUpTo else { return }
        _ = madvise(mapping.base + releasedUpTo, upTo &- releasedUpTo, MADV_DONTNEED)
        releasedUpTo = upTo
    }

    /// The mapped bytes are used up (or needed in the buffer): what is left
    /// of them moves to the buffer and reading continues with read(2) where
    /// the mapping ended (the file may have grown since).
    private mutating func leaveMapping() throws {
        guard let mapping else { return }
        let left = min(available, capacity)
        if left > 0 { buffer.copyMemory(from: mapping.base + start, byteCount: left) }
        try dropMapping(readingOnFrom: start &+ left)
        end = left
    }

    /// Unmaps the file; read(2) goes on from `offset` (into an empty buffer).
    private mutating func dropMapping(readingOnFrom offset: Int) throws {
        guard let mapping else { return }
        Self.unmap(mapping)
        self.mapping = nil
        start = 0
        end = 0
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw ScopeError(.failure, "cannot read \(name): \(WriteFailure.describe(errno))")
        }
    }

    /// From now on, decompress: the bytes read so far (from the start of
    /// the file) are the beginning of a gzip stream.
    mutating func decompressGzip() throws {
        guard inflater == nil, offset == 0 else { return }
        // The inflater reads the descriptor: start it over from byte 0.
        try dropMapping(readingOnFrom: 0)
        inflater = try GzipInflater(fd: fd, name: name, prefix: UnsafeRawBufferPointer(start: buffer + start, count: available))
        start = 0
        end = 0
        reachedEnd = false
    }

    mutating func consume(_ count: Int) {
        start += count
        offset += UInt64(count)
    }
}
