import Foundation
import Testing
import ScopeCore
@testable import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// Files of a mebibyte or more are read through a mapping. A file that
/// shrinks under the mapping must end the read with one error, not SIGBUS;
/// bytes appended after the mapping was made must still be read; and what
/// comes out must be what read(2) gives.
@Suite struct MappedReadTests {
    /// A pcapng of `count` distinct 1000-byte packets (about 1 MiB each 1000).
    static func packets(_ count: Int, from first: Int = 0) -> PcapngTestFile {
        var file = PcapngTestFile()
        for index in first..<(first + count) {
            var data = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 1000)
            withUnsafeBytes(of: UInt32(index).littleEndian) { data.replaceSubrange(0..<4, with: $0) }
            file.enhancedPacket(interface: 0, ticks: UInt64(index), data: data)
        }
        return file
    }

    static func header() -> [UInt8] {
        var file = PcapngTestFile()
        file.section(bigEndian: false)
        file.interface(linkType: 1)
        return file.bytes
    }

    static func index(of packet: CapturedPacket) -> Int {
        Int(UInt32(littleEndian: packet.bytes.loadUnaligned(as: UInt32.self)))
    }

    @Test func mappedFileReadsEveryPacket() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("big.pcapng")
        writeBytes(Self.header() + Self.packets(3000).bytes, to: path)
        let reader = try CaptureFileReader(path: path)
        var seen: [Int] = []
        while let packet = try reader.next() {
            #expect(packet.bytes.count == 1000 && packet.bytes[999] == UInt8(truncatingIfNeeded: Self.index(of: packet)))
            seen.append(Self.index(of: packet))
        }
        #expect(seen == Array(0..<3000) && !reader.isTruncated)
    }

    /// A file of `count` packets in `dir`, and a reader (mapping it) that
    /// has returned the first one.
    static func readerPastFirstPacket(_ dir: TemporaryDirectory, _ name: String,
                                      packets count: Int) throws -> (path: String, reader: CaptureFileReader) {
        let path = dir.file(name)
        writeBytes(header() + packets(count).bytes, to: path)
        let reader = try CaptureFileReader(path: path)
        #expect(try reader.next().map(index) == 0)
        return (path, reader)
    }

    @Test func bytesAppendedAfterOpeningAreRead() throws {
        let dir = TemporaryDirectory()
        let (path, reader) = try Self.readerPastFirstPacket(dir, "growing.pcapng", packets: 2000)
        // A capture still being written: more blocks, one cut mid-block.
        let more = Self.packets(500, from: 2000).bytes
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(more + [6, 0, 0, 0, 64]))
        handle.closeFile()
        var last = 0
        while let packet = try reader.next() { last = Self.index(of: packet) }
        #expect(last == 2499 && reader.packetsRead == 2500 && reader.isTruncated)
    }

    @Test func fileShrinkingUnderTheMappingIsAnErrorNotACrash() throws {
        let dir = TemporaryDirectory()
        let (path, reader) = try Self.readerPastFirstPacket(dir, "shrinking.pcapng", packets: 4000)
        // Cut to 64 KiB while the rest is mapped: touching it would be SIGBUS.
        #expect(truncate(path, 64 << 10) == 0)
        var read = 1
        var failure: ScopeError?
        do {
            while try reader.next() != nil { read += 1 }
        } catch let error as ScopeError {
            failure = error
        }
        let error = try #require(failure)
        #expect(error.message.contains("shrank while being read"), "\(error.message)")
        #expect(read < 4000)
        #expect(try reader.next() == nil)
    }

    @Test func gzipAboveTheMappingThresholdStillDecompresses() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("big.pcapng")
        // Random payloads: the compressed file stays above 1 MiB.
        var file = PcapngTestFile()
        file.section(bigEndian: false)
        file.interface(linkType: 1)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<1500 {
            var data = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            withUnsafeBytes(of: UInt32(index).littleEndian) { data.replaceSubrange(0..<4, with: $0) }
            file.enhancedPacket(interface: 0, ticks: UInt64(index), data: data)
        }
        writeBytes(file.bytes, to: path)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-1", path]
        try gzip.run()
        gzip.waitUntilExit()
        var status = stat()
        #expect(stat(path + ".gz", &status) == 0 && Int(status.st_size) >= FileByteSource.smallestMapped)
        let reader = try CaptureFileReader(path: path + ".gz")
        var count = 0
        while let packet = try reader.next() {
            #expect(Self.index(of: packet) == count)
            count += 1
        }
        #expect(count == 1500 && !reader.isTruncated)
    }
}

/// Reading a mapped file must not hold the whole file in resident memory:
/// the pages behind the reader are let go as it goes.
@Suite struct MappedReadMemoryTests {
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    @Test func residentMemoryStaysBelowTheFileSize() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("long.pcapng")
        // 160 MiB of packets, written in pieces to keep the test's own memory small.
        writeBytes(MappedReadTests.header(), to: path)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        let chunk = Data(MappedReadTests.packets(16_000).bytes)  // about 16 MiB
        for _ in 0..<10 { handle.write(chunk) }
        handle.closeFile()
        let before = Self.residentBytes()
        let reader = try CaptureFileReader(path: path)
        var count = 0
        var peak = before
        while let packet = try reader.next() {
            count += 1
            if count % 10_000 == 0 { peak = max(peak, Self.residentBytes()) }
            _ = packet
        }
        #expect(count == 160_000)
        let grown = peak - before
        #expect(grown < 80 << 20, "resident memory grew by \(grown >> 20) MiB reading a 160 MiB file")
    }
}
