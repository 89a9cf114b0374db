#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import ScopeCore

/// read(2); the inflater's own `read` would shadow the bare name.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
    #else
    Darwin.read(fd, buffer, count)
    #endif
}

/// Streaming gzip decompression (zlib inflate with gzip framing) from a
/// descriptor into the caller's buffer. Memory is bounded: one fixed input
/// buffer plus zlib's 32 KiB window, whatever the file's size. Concatenated
/// gzip members (`cat a.gz b.gz`) decompress as one stream, as gzip -d does.
/// The input must end exactly at the end of a member: a cut-off stream and
/// corrupt data are errors, never a silent short read.
final class GzipInflater {
    static let inputCapacity = 64 << 10

    private let fd: Int32
    private let name: String
    /// Heap-allocated once: zlib keeps a pointer back to its z_stream.
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawPointer
    private var inputEnded = false
    /// True between the end of one member and the first byte of the next.
    private var memberEnded = false
    /// Compressed bytes consumed so far, for error messages.
    private(set) var compressedOffset: UInt64 = 0

    /// `prefix`: bytes already read from `fd` (the magic the caller sniffed).
    init(fd: Int32, name: String, prefix: UnsafeRawBufferPointer) throws {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_inflate_init_gzip(stream) == Z_OK else {
            stream.deallocate()
            throw ScopeError(.failure, "\(name): cannot start gzip decompression")
        }
        self.fd = fd
        self.name = name
        self.stream = stream
        input = .allocate(byteCount: max(Self.inputCapacity, prefix.count), alignment: 16)
        if let base = prefix.baseAddress { input.copyMemory(from: base, byteCount: prefix.count) }
        stream.pointee.next_in = input.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(prefix.count)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Decompresses into `destination` (up to `capacity` bytes) and returns
    /// how many bytes were produced; 0 only at the clean end of the input.
    func read(into destination: UnsafeMutableRawPointer, capacity: Int) throws -> Int {
        guard capacity > 0 else { return 0 }
        while true {
            if stream.pointee.avail_in == 0 && !inputEnded { try refill() }
            if stream.pointee.avail_in == 0 && inputEnded {
                if memberEnded { return 0 }
                throw ScopeError(.failure, "\(name): gzip data ends early at compressed offset \(compressedOffset) (truncated .gz file?)")
            }
            if memberEnded {
                // More input after a member: the next member's header follows.
                inflateReset(stream)
                memberEnded = false
            }
            stream.pointee.next_out = destination.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(clamping: capacity)
            let before = stream.pointee.avail_in
            let status = inflate(stream, Z_NO_FLUSH)
            compressedOffset &+= UInt64(before &- stream.pointee.avail_in)
            let produced = capacity &- Int(stream.pointee.avail_out)
            switch status {
            case Z_STREAM_END: memberEnded = true
            case Z_OK, Z_BUF_ERROR: break  // Z_BUF_ERROR: needs more input, read below
            default: throw corrupt(status)
            }
            if produced > 0 { return produced }
        }
    }

    private func refill() throws {
        while true {
            let count = systemRead(fd, input, Self.inputCapacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw ScopeError(.failure, "cannot read \(name): \(WriteFailure.describe(errno))")
            }
            if count == 0 { inputEnded = true }
            stream.pointee.next_in = input.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(count)
            return
        }
    }

    private func corrupt(_ status: Int32) -> ScopeError {
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
        return ScopeError(.failure, "\(name): corrupt gzip data at compressed offset \(compressedOffset): \(detail)")
    }
}
