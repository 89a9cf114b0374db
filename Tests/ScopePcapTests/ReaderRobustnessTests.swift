import Foundation
import Testing
import ScopeCore
@testable import ScopePcap

/// Hostile and damaged input: the reader must end with a packet count, a
/// truncation flag or a ScopeError — never a trap, never unbounded memory.
@Suite struct ReaderRobustnessTests {
    enum Outcome: Equatable { case clean(Int), truncated(Int), failed(Int) }

    static func read(_ bytes: [UInt8], in dir: TemporaryDirectory, limit: Int = 1 << 20) -> Outcome? {
        let path = dir.file("input-\(UInt64.random(in: 0...UInt64.max))")
        writeBytes(bytes, to: path)
        defer { unlink(path) }
        guard let reader = try? CaptureFileReader(path: path, maximumBlockLength: limit) else { return nil }
        var count = 0
        do {
            while let packet = try reader.next() {
                count += 1
                // Touch every byte: a bad pointer or length shows up here.
                var sum = 0
                for byte in packet.bytes { sum &+= Int(byte) }
                _ = sum
            }
        } catch {
            return .failed(count)
        }
        return reader.isTruncated ? .truncated(count) : .clean(count)
    }

    static func sample(_ format: CaptureFileConfiguration.Format, in dir: TemporaryDirectory) throws -> [UInt8] {
        let path = dir.file("sample")
        try WriterOracleTests.writeSample(to: path, format: format)
        return fileBytes(path)
    }

    @Test func hugeBlockLengthIsRejectedClearly() throws {
        let dir = TemporaryDirectory()
        var bytes = try Self.sample(.pcapng, in: dir)
        let firstIDB = Int(bytes[4]) | Int(bytes[5]) << 8
        bytes.replaceSubrange((firstIDB + 4)..<(firstIDB + 8), with: [0xF0, 0xFF, 0xFF, 0xFF])  // ~4 GB
        let path = dir.file("huge.pcapng")
        writeBytes(bytes, to: path)
        let reader = try CaptureFileReader(path: path)
        let error = #expect(throws: ScopeError.self) { _ = try reader.next() }
        #expect(error?.message == "\(path): block length 4294967280 exceeds the 67108864-byte limit at offset \(firstIDB) (corrupt capture file?)")
        #expect(try reader.next() == nil)
    }

    @Test func hugePcapRecordIsRejected() throws {
        let dir = TemporaryDirectory()
        var bytes = try Self.sample(.pcap, in: dir)
        bytes.replaceSubrange(32..<36, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Self.read(bytes, in: dir) == .failed(0))
    }

    @Test func notACaptureFile() throws {
        let dir = TemporaryDirectory()
        for (bytes, message) in [([UInt8](), "is empty"), ([0x1F, 0x8B, 8], "is too short to be a capture file"),
                                 (Array("hello world".utf8), "is not a pcap or pcapng capture file")] {
            let path = dir.file("not")
            writeBytes(bytes, to: path)
            let error = #expect(throws: ScopeError.self) { _ = try CaptureFileReader(path: path) }
            #expect(error?.message == "\(path) \(message)")
        }
    }

    @Test func metadataFloodsAreBounded() throws {
        let dir = TemporaryDirectory()
        var file = PcapngTestFile()
        file.section(bigEndian: false, options: (0..<500).flatMap { _ in file.option(1, string: "spam") })
        for _ in 0..<5000 { file.interface(linkType: 1, options: file.option(2, string: String(repeating: "n", count: 5000))) }
        let path = dir.file("flood.pcapng")
        writeBytes(file.bytes, to: path)
        let reader = try CaptureFileReader(path: path)
        let error = #expect(throws: ScopeError.self) { _ = try reader.next() }
        #expect(error?.message.contains("too many interfaces") == true)
        #expect(reader.section.comments.count == 64)
        #expect(reader.interfaces.count == 4096)
        #expect(reader.interfaces[0].name?.utf8.count == 1024)
    }

    /// Every prefix of a valid file: block boundaries end cleanly with the
    /// packets before them, anything else is flagged truncated.
    @Test(arguments: [CaptureFileConfiguration.Format.pcapng, .pcap])
    func everyTruncationEndsCleanly(format: CaptureFileConfiguration.Format) throws {
        let dir = TemporaryDirectory()
        let bytes = try Self.sample(format, in: dir)
        // Boundaries and packets completed at each, walked independently of the reader.
        var boundaries: [Int: Int] = [:]
        var offset = format == .pcap ? 24 : 0, packets = 0
        boundaries[offset] = 0
        while offset < bytes.count {
            if format == .pcap {
                offset += 16 + (Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8)
                packets += 1
            } else {
                if bytes[offset] == 6 { packets += 1 }
                offset += Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8
            }
            boundaries[offset] = packets
        }
        #expect(packets == 6)
        for cut in 0...bytes.count {
            let outcome = Self.read(Array(bytes[0..<cut]), in: dir)
            if cut < 4 || (format == .pcap && cut < 24) {
                #expect(outcome == nil, "cut at \(cut)")
            } else if let complete = boundaries[cut] {
                #expect(outcome == .clean(complete), "cut at \(cut)")
            } else {
                let before = boundaries.filter { $0.key < cut }.max { $0.key < $1.key }?.value ?? 0
                #expect(outcome == .truncated(before), "cut at \(cut)")
            }
        }
    }

    /// Every byte overwritten with several values: any outcome but a trap.
    @Test(arguments: [CaptureFileConfiguration.Format.pcapng, .pcap])
    func corruptionAtEveryOffsetNeverTraps(format: CaptureFileConfiguration.Format) throws {
        let dir = TemporaryDirectory()
        let bytes = try Self.sample(format, in: dir)
        var outcomes = 0
        for offset in bytes.indices {
            for value: UInt8 in [0x00, 0xFF, 0x80, bytes[offset] ^ 0x01, 0x7F] {
                var damaged = bytes
                damaged[offset] = value
                if Self.read(damaged, in: dir, limit: 4096) != nil { outcomes += 1 }
            }
        }
        #expect(outcomes > 0)
    }

    /// Random blocks after a valid section header, from a fixed seed.
    @Test func randomBlocksNeverTrap() throws {
        let dir = TemporaryDirectory()
        let header = SectionHeaderBlock().encoded() + InterfaceDescriptionBlock(snapLength: 100).encoded()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        for _ in 0..<300 {
            var bytes = header
            for _ in 0..<Int(random() % 6) {
                let type = [1, 2, 3, 5, 6, 0x0A0D_0D0A, 0x99][Int(random() % 7)]
                let length = random() % 4 == 0 ? UInt32(truncatingIfNeeded: random()) : UInt32(12 + random() % 64) & ~3
                var block = withUnsafeBytes(of: UInt32(type).littleEndian, Array.init) + withUnsafeBytes(of: length.littleEndian, Array.init)
                block += (0..<Int(random() % 80)).map { _ in UInt8(truncatingIfNeeded: random()) }
                if random() % 2 == 0 { block += withUnsafeBytes(of: length.littleEndian, Array.init) }
                bytes += block
            }
            _ = Self.read(bytes, in: dir, limit: 4096)
        }
    }
}
