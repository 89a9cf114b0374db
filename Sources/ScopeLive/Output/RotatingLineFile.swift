#if canImport(Glibc)
import Glibc
#endif
import ScopeCore

/// A JSON-lines event file rotated by size, keeping a fixed number of
/// backups: `events.ndjson` is the live file, `events.ndjson.1` the newest
/// backup, `events.ndjson.N` the oldest (the logrotate/Packetbeat layout, so
/// shippers that follow rotated files find them where they expect).
///
/// Rotation happens only between writes and every write is whole lines, so
/// no line is ever split across two files and none is lost by rotating.
public final class RotatingLineFile {
    public struct Policy: Sendable, Equatable {
        public var path: String
        /// Rotate before a write that would take the file past this size.
        public var rotateBytes: UInt64
        /// Backups kept besides the live file; 0 keeps none.
        public var keep: Int
        public var permissions: mode_t

        public init(path: String, rotateBytes: UInt64 = 10 << 20, keep: Int = 7, permissions: mode_t = 0o600) {
            self.path = path
            self.rotateBytes = max(1, rotateBytes)
            self.keep = max(0, keep)
            self.permissions = permissions
        }
    }

    public let policy: Policy
    private var descriptor: Int32 = -1
    /// Bytes in the live file, including what it held when we opened it.
    public private(set) var size: UInt64 = 0
    public private(set) var rotations = 0

    /// Opens (appending) or creates the live file; creates missing parent
    /// directories with mode 0700.
    public init(policy: Policy) throws {
        self.policy = policy
        try Self.makeParentDirectories(of: policy.path)
        try open()
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Appends `bytes`, which must end at a line boundary.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        if size > 0, size &+ UInt64(bytes.count) > policy.rotateBytes { try rotate() }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure(writing: policy.path, errno: errno)
            }
            offset += written
        }
        size &+= UInt64(bytes.count)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Shifts `path.k` to `path.k+1` (dropping the oldest), the live file to
    /// `path.1`, and starts an empty live file.
    public func rotate() throws {
        Glibc.close(descriptor)
        descriptor = -1
        if policy.keep == 0 {
            unlink(policy.path)
        } else {
            unlink(backup(policy.keep))
            for index in stride(from: policy.keep - 1, through: 1, by: -1) { rename(backup(index), backup(index + 1)) }
            rename(policy.path, backup(1))
        }
        rotations += 1
        try open()
    }

    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    public func backup(_ index: Int) -> String { "\(policy.path).\(index)" }

    private func open() throws {
        let fd = Glibc.open(policy.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, policy.permissions)
        guard fd >= 0 else { throw ScopeError(.failure, "cannot open event file \(policy.path): \(Self.describe(errno))") }
        // An existing file keeps its mode on open; events may carry private
        // data, so the configured mode wins.
        fchmod(fd, policy.permissions)
        var status = stat()
        size = fstat(fd, &status) == 0 ? UInt64(max(0, status.st_size)) : 0
        descriptor = fd
    }

    /// Missing parent directories of `path`, created 0700 (events and
    /// packets are private).
    public static func makeParentDirectories(of path: String) throws {
        var prefix = ""
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (index, part) in parts.enumerated() {
            prefix += index == 0 ? String(part) : "/" + part
            guard !prefix.isEmpty, !part.isEmpty else { continue }
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw ScopeError(.failure, "cannot create directory \(prefix): \(describe(errno))")
            }
        }
    }

    static func failure(writing path: String, errno code: Int32) -> ScopeError {
        switch code {
        case ENOSPC: ScopeError(.failure, "disk full while writing \(path)")
        case EDQUOT: ScopeError(.failure, "disk quota exceeded while writing \(path)")
        default: ScopeError(.failure, "cannot write \(path): \(describe(code))")
        }
    }

    static func describe(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "errno \(code)"
    }
}
