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

    static let magic = Array("DSSPOOL1".utf8)

    public init(directory: String, maxBytes: Int) throws {
        self.directory = directory
        self.maxBytes = max(1, maxBytes)
        try Self.makeDirectory(directory)
        try scan()
    }

    public var isEmpty: Bool { head == files.count }
    public var batches: Int { files.count - head }

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
            // Unreadable (truncated by hand, disk error): skip it rather than stall.
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

    private static func header(_ path: String) -> (bytes: Int, records: Int)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, size >= 12,
              let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 12), head.count == 12, Array(head.prefix(8)) == magic else { return nil }
        return (size, Int(uint32([UInt8](head), at: 8)))
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

public struct ExportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
