import Foundation
import Testing
import ScopeCore
@testable import ScopePcap

@Suite struct RotationTests {
    static let packetBlockSize = 108  // 60-byte frame in a DPDK EPB

    /// Writes `count` 60-byte packets into a ring buffer and returns the writer.
    static func writeRing(dir: TemporaryDirectory, name: String = "cap.pcapng", format: CaptureFileConfiguration.Format = .pcapng,
                          rotation: [String], count: Int) throws -> CaptureFileWriter {
        var configuration = twoPortConfiguration(path: dir.file(name), format: format)
        for argument in rotation { try configuration.rotation.apply(argument) }
        let writer = try CaptureFileWriter(configuration: configuration)
        let arena = MbufArena()
        for i in 0..<count {
            let block = arena.store(DPDKBlockBuilder.enhancedPacketBlock(
                packet: DPDKBlockBuilder.udpFrame(length: 60, seed: UInt8(i)), timestamp: 1_000_000_000 * UInt64(i + 1),
                direction: .inbound, queue: 0))
            try writer.append(block, interface: UInt32(i % 2))
        }
        try writer.close()
        return writer
    }

    static func packetCount(_ path: String) throws -> Int {
        let info = try ToolRunner.capinfos(["-M", "-c", path])
        #expect(info.status == 0)
        #expect(info.warnings.isEmpty, "capinfos stderr for \(path): \(info.warnings)")
        let line = info.lines.first { $0.hasPrefix("Number of packets:") } ?? ""
        return Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? -1
    }

    @Test func fileSizeRotationSplitsOnPacketBoundariesWithWiresharkNames() throws {
        let dir = TemporaryDirectory()
        let before = RingFileNamer.localTimestamp(time(nil))
        let writer = try Self.writeRing(dir: dir, rotation: ["filesize:1"], count: 30)
        let after = RingFileNamer.localTimestamp(time(nil))
        let names = dir.contents
        #expect(names.count >= 4)
        #expect(names == writer.keptFiles.map { String($0.split(separator: "/").last!) })
        let configuration = twoPortConfiguration(path: "")
        let headers = configuration.section.encoded().count + configuration.interfaces.reduce(0) { $0 + $1.encoded().count }
        var total = 0
        for (index, name) in names.enumerated() {
            let match = try #require(name.wholeMatch(of: /cap_(\d{5})_(\d{14})\.pcapng/))
            #expect(Int(match.1) == index + 1)
            #expect(String(match.2) >= before && String(match.2) <= after)
            let packets = try Self.packetCount(dir.file(name))
            total += packets
            if index < names.count - 1 {
                // The file switched at the first packet boundary at or past 1000 bytes (1 kB = 1000).
                #expect(headers + packets * Self.packetBlockSize >= 1000)
                #expect(headers + (packets - 1) * Self.packetBlockSize < 1000)
            }
        }
        #expect(total == 30)
        #expect(writer.totalPackets == 30)
    }

    @Test func everyRotatedFileHasHeadersAndStatistics() throws {
        let dir = TemporaryDirectory()
        _ = try Self.writeRing(dir: dir, rotation: ["filesize:1"], count: 20)
        for name in dir.contents {
            let result = try ToolRunner.tshark(["-X", "read_format:MIME Files Format", "-r", dir.file(name),
                                                "-T", "fields", "-e", "pcapng.block.type"])
            #expect(result.warnings.isEmpty)
            let types = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
            #expect(Array(types.prefix(3)) == ["0x0a0d0d0a", "0x00000001", "0x00000001"])
            #expect(Array(types.suffix(2)) == ["0x00000005", "0x00000005"])
        }
    }

    @Test func filesLimitKeepsOnlyTheNewest() throws {
        let dir = TemporaryDirectory()
        let writer = try Self.writeRing(dir: dir, name: "ring.pcap", format: .pcap, rotation: ["filesize:1", "files:3"], count: 60)
        let names = dir.contents
        #expect(writer.fileNumber > 3)
        #expect(names.count == 3)
        let numbers = names.compactMap { name in name.wholeMatch(of: /ring_(\d{5})_\d{14}\.pcap/).map { Int($0.1)! } }
        #expect(numbers == [writer.fileNumber - 2, writer.fileNumber - 1, writer.fileNumber])
        for name in names { #expect(try Self.packetCount(dir.file(name)) > 0) }
    }

    @Test func durationRotatesOnlyWhenDue() throws {
        let dir = TemporaryDirectory()
        var configuration = twoPortConfiguration(path: dir.file("d.pcapng"))
        try configuration.rotation.apply("duration:10")
        let writer = try CaptureFileWriter(configuration: configuration)
        try writer.rotateIfDue()
        #expect(writer.fileNumber == 1)
        try writer.rotateIfDue(monotonicNow: writer.fileOpenedMonotonic + 9_999_999_999)
        #expect(writer.fileNumber == 1)
        try writer.rotateIfDue(monotonicNow: writer.fileOpenedMonotonic + 10_000_000_000)
        #expect(writer.fileNumber == 2)
        try writer.close()
        #expect(dir.contents.count == 2)
        for name in dir.contents { #expect(try Self.packetCount(dir.file(name)) == 0) }
    }

    @Test func namesFollowDumpcap() {
        let time: time_t = 1_700_000_000
        let stamp = RingFileNamer.localTimestamp(time)
        #expect(RingFileNamer(path: "out/cap.pcapng").name(fileNumber: 1, createdAt: time) == "out/cap_00001_\(stamp).pcapng")
        #expect(RingFileNamer(path: "a.b.c").name(fileNumber: 42, createdAt: time) == "a.b_00042_\(stamp).c")
        #expect(RingFileNamer(path: "dir.d/capture").name(fileNumber: 7, createdAt: time) == "dir.d/capture_00007_\(stamp)")
        #expect(RingFileNamer(path: "x.pcap").name(fileNumber: 100_001, createdAt: time) == "x_00001_\(stamp).pcap")
        // Cross-check the local time rendering with Foundation.
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMddHHmmss"
        formatter.timeZone = .current
        #expect(stamp == formatter.string(from: Date(timeIntervalSince1970: 1_700_000_000)))
    }

    @Test func parsesRingBufferArguments() throws {
        var policy = RotationPolicy()
        try policy.apply("filesize:1000")
        try policy.apply("duration:60")
        try policy.apply("files:5")
        #expect(policy == RotationPolicy(fileSizeBytes: 1_000_000, durationNanoseconds: 60_000_000_000, maximumFiles: 5))
        for bad in ["filesize:abc", "filesize:0", "size:3", "files", "duration:-1", "filesize:99999999999999999"] {
            let error = #expect(throws: ScopeError.self) { try policy.apply(bad) }
            #expect(error?.status == .usageOrAttach)
        }
    }
}
