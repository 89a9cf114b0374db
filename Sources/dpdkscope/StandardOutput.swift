import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// Buffered stdout: one write(2) per 64 KiB, not per line. After a failed
/// write nothing more is written; `error` says why.
struct StandardOutput {
    var buffer: [UInt8] = []
    /// errno of the first failed write (EPIPE: the reader went away), or 0.
    private(set) var error: Int32 = 0

    init() { buffer.reserveCapacity(1 << 17) }

    mutating func write(_ line: String) {
        buffer += line.utf8
        buffer.append(0x0A)
    }

    mutating func flushIfFull() { if buffer.count >= 1 << 16 { flush() } }

    /// Writes and empties the buffer; false when it could not (see `error`).
    @discardableResult
    mutating func flush() -> Bool {
        var offset = 0
        defer { buffer.removeAll(keepingCapacity: true) }
        guard error == 0 else { return false }
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                fail(errno: n < 0 ? errno : EIO)
                return false
            }
            offset += n
        }
        return true
    }

    /// Records a failed write (the first one wins).
    mutating func fail(errno code: Int32) {
        if error == 0 { error = code }
    }

    /// A closed pipe (`| head`) ends the output quietly; any other failed
    /// write (disk full, I/O error) is an error: exit 1 with one line.
    func throwIfFailed() throws {
        guard error != 0, error != EPIPE else { return }
        throw ScopeError(.failure, "cannot write to standard output: \(String(cString: strerror(error)))")
    }
}
