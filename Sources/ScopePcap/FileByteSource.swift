#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// Buffered reads from a descriptor into one reusable buffer, so the reader
/// can hand out packet bytes in place. read(2) rather than mmap: a file
/// truncated under us then ends early instead of raising SIGBUS, and pipes
/// work too. The buffer grows only to fit one block, never past `maximumCapacity`.
/// After `decompressGzip()` the bytes come out of a streaming inflater instead.
struct FileByteSource: ~Copyable {
    private let fd: Int32
    private let name: String
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var reachedEnd = false
    private var inflater: GzipInflater?
    let maximumCapacity: Int
    /// File offset of `pointer`, for error messages.
    private(set) var offset: UInt64 = 0

    init(fd: Int32, name: String, maximumCapacity: Int) {
        self.fd = fd
        self.name = name
        self.maximumCapacity = max(maximumCapacity, 64)
        capacity = min(1 << 20, self.maximumCapacity)
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        close(fd)
    }

    var available: Int { end - start }
    /// True once the input turned out to be gzip: offsets are then into the
    /// decompressed stream.
    var isCompressed: Bool { inflater != nil }
    var pointer: UnsafeRawPointer { UnsafeRawPointer(buffer + start) }

    /// Makes `count` bytes available at `pointer` (which may move); false if
    /// the input ends first. Invalidates pointers handed out earlier.
    mutating func fill(_ count: Int) throws -> Bool {
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

    /// From now on, decompress: the bytes read so far (from the start of
    /// the file) are the beginning of a gzip stream.
    mutating func decompressGzip() throws {
        guard inflater == nil, offset == 0 else { return }
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
