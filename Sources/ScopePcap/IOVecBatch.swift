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
    /// Bytes the last drain() got to the descriptor, even when it failed.
    private(set) var lastDrained = 0

    init(capacity: Int) {
        self.capacity = max(2, capacity)
        vectors = .allocate(capacity: self.capacity)
    }

    deinit { vectors.deallocate() }

    var freeSlots: Int { @inline(__always) get { capacity &- count } }

    @inline(__always)
    mutating func append(_ base: UnsafeRawPointer, _ length: Int) {
        vectors[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: length)
        count &+= 1
        byteCount &+= length
    }

    mutating func removeAll() {
        count = 0
        byteCount = 0
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
