import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bounded on-disk backlog: one file per batch in `directory`, named by a
/// sequence number so a restart replays them in order. A batch is written
/// to a `.tmp` file and renamed, so a crash leaves whole batches only (a
/// `.tmp` left behind is deleted at the next start). Files are 0600, the
/// directory 0700: events may carry URLs and queries.
///
/// File layout: "DSSPOOL1", record count (UInt32 LE), then each record as
/// its length (UInt32 LE) and bytes.
public final class Spool: Backlog {
    public let directory: String
    public let maxBytes: Int
    private var files: [(sequence: UInt64, bytes: Int, records: Int)] = []
    private var head = 0
    private var nextSequence: UInt64 = 1
    public private(set) var bytes = 0
    public private(set) var records = 0
    /// Records of files found unreadable, not yet counted by the exporter.
    private var lost = 0
    /// The directory, flock'ed for as long as this spool lives: two agents
    /// sharing a directory would overwrite each other's batches.
    private var lockDescriptor: Int32 = -1

    static let magic = Array("DSSPOOL1".utf8)

    /// Throws `SpoolInUse` when another process (or spool) holds the directory.
    public init(directory: String, maxBytes: Int) throws {
        self.directory = directory
        self.maxBytes = max(1, maxBytes)
        try Self.makeDirectory(directory)
        lockDescriptor = try Self.lock(directory)
        try scan()
    }

    deinit { release() }

    /// Gives the directory up (at exit, or before a reload's new output takes it).
    public func release() {
        guard lockDescriptor >= 0 else { return }
        Glibc.close(lockDescriptor)
        lockDescriptor = -1
    }

    /// flock on the directory itself (no lock file among the batches).
    /// Tried for up to a second: a child process being started elsewhere in
    /// this process holds a copy of a just-released spool's descriptor (and
    /// so its lock) until its exec closes it.
    private static func lock(_ directory: String) throws -> Int32 {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw error("cannot open \(directory)") }
        var tries = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            tries += 1
            guard tries < 50 else {
                Glibc.close(fd)
                throw SpoolInUse(directory: directory)
            }
            usleep(20_000)
        }
        return fd
    }

    public func takeLost() -> Int {
        defer { lost = 0 }
        return lost
    }

    public var isEmpty: Bool { head == files.count }
    public var batches: Int { files.count - head }

    public func hasRoom(for batch: [[UInt8]]) -> Bool {
        bytes + Self.fileSize(of: batch) <= maxBytes
    }

    /// The file `append` writes for `batch`: magic, count, and a length per record.
    static func fileSize(of batch: [[UInt8]]) -> Int {
        batch.reduce(magic.count + 4) { $0 + 4 + $1.count }
    }

    public func append(_ batch: [[UInt8]]) throws -> Int {
        var data = Self.magic
        Self.appendUInt32(UInt32(batch.count), to: &data)
        for record in batch {
            Self.appendUInt32(UInt32(record.count), to: &data)
            data.append(contentsOf: record)
        }
        guard data.count <= maxBytes else { return batch.count }
        var dropped = 0
        while bytes + data.count > maxBytes, !isEmpty {
            dropped += files[head].records
            try removeOldest()
        }
        let sequence = nextSequence
        nextSequence += 1
        let path = self.path(sequence)
        try Self.writeFile(data, to: path + ".tmp")
        guard rename(path + ".tmp", path) == 0 else { throw Self.error("cannot rename \(path).tmp") }
        files.append((sequence, data.count, batch.count))
        bytes += data.count
        records += batch.count
        return dropped
    }

    public func oldest() throws -> [[UInt8]]? {
        while !isEmpty {
            let entry = files[head]
            if let batch = Self.readFile(path(entry.sequence)) { return batch }
            // Unreadable (truncated by hand, disk error): skip it rather
            // than stall, and count what it held as dropped.
            lost += entry.records
            try removeOldest()
        }
        return nil
    }

    public func removeOldest() throws {
        guard !isEmpty else { return }
        let entry = files[head]
        unlink(path(entry.sequence))
        bytes -= entry.bytes
        records -= entry.records
        head += 1
        if head > 256 && head * 2 > files.count {
            files.removeFirst(head)
            head = 0
        }
    }

    private func path(_ sequence: UInt64) -> String {
        directory + "/" + String(repeating: "0", count: max(0, 20 - String(sequence).count)) + String(sequence) + ".batch"
    }

    /// Batches left by an earlier run, oldest first; stray `.tmp` files go.
    private func scan() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        var found: [(UInt64, Int, Int)] = []
        for name in names {
            if name.hasSuffix(".tmp") {
                unlink(directory + "/" + name)
                continue
            }
            guard name.hasSuffix(".batch"), let sequence = UInt64(name.dropLast(6)) else { continue }
            let full = directory + "/" + name
            guard let header = Self.header(full) else {
                // Damaged: its header's count, as far as the file's size
                // allows it, is counted as dropped (one at least).
                lost += Self.claimedRecords(full)
                unlink(full)
                continue
            }
            found.append((sequence, header.bytes, header.records))
        }
        found.sort { $0.0 < $1.0 }
        files = found.map { ($0.0, $0.1, $0.2) }
        bytes = found.reduce(0) { $0 + $1.1 }
        records = found.reduce(0) { $0 + $1.2 }
        nextSequence = (found.last?.0 ?? 0) + 1
    }

    static func makeDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } else if !isDirectory.boolValue {
            throw error("\(directory) is not a directory")
        }
        guard access(directory, W_OK) == 0 else { throw error("cannot write to \(directory)") }
    }

    static func writeFile(_ data: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error("cannot create \(path)") }
        defer { Glibc.close(fd) }
        fchmod(fd, 0o600)
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { write(fd, $0.baseAddress! + offset, data.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                unlink(path)
                throw error("cannot write \(path)")
            }
            offset += written
        }
    }

    static func readFile(_ path: String) -> [[UInt8]]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else { return nil }
        let count = Int(uint32(bytes, at: 8))
        var batch: [[UInt8]] = []
        batch.reserveCapacity(min(count, (bytes.count - 12) / 4))
        var offset = 12
        for _ in 0..<count {
            guard offset + 4 <= bytes.count else { return nil }
            let length = Int(uint32(bytes, at: offset))
            offset += 4
            guard offset + length <= bytes.count else { return nil }
            batch.append(Array(bytes[offset..<offset + length]))
            offset += length
        }
        return batch
    }

    /// What a damaged file's header claims, bounded by what its size can hold.
    private static func claimedRecords(_ path: String) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 1 }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 12), head.count == 12, Array(head.prefix(8)) == magic,
              let size = try? handle.seekToEnd() else { return 1 }
        return max(1, min(Int(uint32([UInt8](head), at: 8)), (Int(size) - 12) / 4))
    }

    /// The file's size and its records, counted by walking their lengths:
    /// a damaged count in the header must not inflate the totals. Nil when
    /// the file does not hold what its header says.
    private static func header(_ path: String) -> (bytes: Int, records: Int)? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> (bytes: Int, records: Int)? in
            guard bytes.count >= 12, bytes.prefix(8).elementsEqual(magic) else { return nil }
            func uint32(_ offset: Int) -> Int {
                Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
            }
            let count = uint32(8)
            var offset = 12
            for _ in 0..<count {
                guard offset + 4 <= bytes.count else { return nil }
                offset += 4 + uint32(offset)
                guard offset <= bytes.count else { return nil }
            }
            return offset == bytes.count ? (bytes.count, count) : nil
        }
    }

    private static func appendUInt32(_ value: UInt32, to data: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    static func error(_ message: String) -> ExportError {
        ExportError("spool: \(message): \(String(cString: strerror(errno)))")
    }
}

/// Another process (or spool) holds the directory's lock.
public struct SpoolInUse: Error, CustomStringConvertible, Sendable {
    public let directory: String
    public var description: String {
        "spool \(directory) is in use by another process; give each agent its own outputs.spool.path"
    }
}

public struct ExportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
