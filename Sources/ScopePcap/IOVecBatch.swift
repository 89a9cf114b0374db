#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-capacity iovec array filled per packet and drained with writev.
/// Allocated once; appending stores two words, so the hot path neither
/// allocates nor touches reference counts.
struct IOVecBatch: ~Copyable {
    /// IOV_MAX on Linux and macOS (the macro is not imported into Swift).
    static let systemLimit = 1024

    let capacity: Int
    private let vectors: UnsafeMutablePointer<iovec>
    private(set) var count = 0
    private(set) var byteCount = 0
    /// Small packets are copied here and written as one run: the kernel's
    /// cost per iovec dwarfs copying ~100 bytes, and the mbuf can go back to
    /// the pool at once instead of waiting for the write.
    let stagingCapacity: Int
    private let staging: UnsafeMutableRawPointer
    private(set) var stagingUsed = 0
    /// Vectors that point into caller memory (not into staging): while any
    /// exist, that memory must stay valid until drain().
    private(set) var borrowedCount = 0
    /// Bytes the last drain() got to the descriptor, even when it failed.
    private(set) var lastDrained = 0

    init(capacity: Int, stagingBytes: Int = 0) {
        self.capacity = max(2, capacity)
        vectors = .allocate(capacity: self.capacity)
        stagingCapacity = stagingBytes
        staging = .allocate(byteCount: max(stagingBytes, 1), alignment: 64)
    }

    deinit {
        vectors.deallocate()
        staging.deallocate()
    }

    var stagingFree: Int { @inline(__always) get { stagingCapacity &- stagingUsed } }

    /// Copies `length` bytes into staging; extends the previous vector when
    /// it ends where this copy starts. The caller checked stagingFree.
    @inline(__always)
    mutating func appendCopy(_ base: UnsafeRawPointer, _ length: Int) {
        let destination = staging + stagingUsed
        destination.copyMemory(from: base, byteCount: length)
        stagingUsed &+= length
        byteCount &+= length
        if count > 0, let last = vectors[count &- 1].iov_base, last + vectors[count &- 1].iov_len == destination {
            vectors[count &- 1].iov_len &+= length
            return
        }
        vectors[count] = iovec(iov_base: destination, iov_len: length)
        count &+= 1
    }

    var freeSlots: Int { @inline(__always) get { capacity &- count } }

    @inline(__always)
    mutating func append(_ base: UnsafeRawPointer, _ length: Int) {
        vectors[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: length)
        count &+= 1
        byteCount &+= length
        borrowedCount &+= 1
    }

    mutating func removeAll() {
        count = 0
        byteCount = 0
        stagingUsed = 0
        borrowedCount = 0
    }

    /// Writes every queued byte, resuming after partial writes (pipes, signals,
    /// quotas) and waiting when the descriptor is non-blocking. Returns 0 or
    /// the errno that stopped it; the batch is empty afterwards either way.
    mutating func drain(to fd: Int32) -> Int32 {
        defer { removeAll() }
        lastDrained = 0
        var first = 0
        while true {
            while first < count && vectors[first].iov_len == 0 { first += 1 }
            guard first < count else { return 0 }
            let n = writev(fd, vectors + first, Int32(min(count - first, Self.systemLimit)))
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK {
                    var waiter = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&waiter, 1, -1)
                    continue
                }
                return code
            }
            guard n > 0 else { return EIO }  // no progress: would loop forever
            lastDrained += n
            var written = n
            while written > 0 {
                let length = vectors[first].iov_len
                if written >= length {
                    written -= length
                    first += 1
                } else {
                    vectors[first].iov_base = vectors[first].iov_base.map { $0 + written }
                    vectors[first].iov_len = length - written
                    written = 0
                }
            }
        }
    }

    /// Writes one small buffer (file headers, ISBs) through the same loop.
    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32 {
        var batch = IOVecBatch(capacity: 2)
        return bytes.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress, raw.count > 0 else { return 0 }
            batch.append(base, raw.count)
            return batch.drain(to: fd)
        }
    }
}
