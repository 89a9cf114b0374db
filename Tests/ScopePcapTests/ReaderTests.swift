import Foundation
import Testing
import ScopeCore
@testable import ScopePcap

@Suite struct ReaderTests {
    /// Parses tshark's frame.time_epoch ("1700000000.123456789") into ns.
    static func nanoseconds(_ epoch: String) -> UInt64? {
        let parts = epoch.split(separator: ".")
        guard parts.count == 2, let seconds = UInt64(parts[0]), parts[1].count <= 9,
              let fraction = UInt64(parts[1] + String(repeating: "0", count: 9 - parts[1].count)) else { return nil }
        return seconds * 1_000_000_000 + fraction
    }

    static func readAll(_ path: String) throws -> (reader: CaptureFileReader, packets: [(CapturedPacket, [UInt8])]) {
        let reader = try CaptureFileReader(path: path)
        var packets: [(CapturedPacket, [UInt8])] = []
        while let packet = try reader.next() { packets.append((packet, Array(packet.bytes))) }
        return (reader, packets)
    }

    /// Timestamps and captured lengths as tshark sees them.
    static func tsharkView(_ path: String) throws -> [(UInt64, Int)] {
        let result = try ToolRunner.tshark(["-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.cap_len"])
        #expect(result.status == 0)
        #expect(result.warnings.isEmpty, "tshark stderr: \(result.warnings)")
        return result.lines.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) + ["", ""]
            return (nanoseconds(fields[0]) ?? 0, Int(fields[1]) ?? -1)
        }
    }

    @Test func roundTripsTheWritersPcapng() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("rt.pcapng")
        try WriterOracleTests.writeSample(to: path)
        let (reader, packets) = try Self.readAll(path)
        #expect(reader.format == .pcapng)
        #expect(!reader.isTruncated)
        #expect(reader.section == twoPortConfiguration(path: "").section)
        #expect(reader.interfaces.map(\.name) == ["net_null0", "0000:03:00.0"])
        #expect(reader.interfaces.map(\.description) == ["net_null, port 0", "net_ice, port 1"])
        #expect(reader.interfaces.allSatisfy { $0.timestampUnitsPerSecond == 1_000_000_000 && $0.snapLength == 65535 })
        let expected = WriterOracleTests.samplePackets()
        try #require(packets.count == expected.count)
        let arena = MbufArena()
        for (i, (packet, bytes)) in packets.enumerated() {
            let source = try EnhancedPacketBlock(validating: arena.store(expected[i].bytes))
            #expect(packet.interfaceIndex == Int(expected[i].interface))
            #expect(packet.timestamp == source.timestamp)
            #expect(packet.originalLength == source.originalLength)
            #expect(bytes == Array(source.packetBytes))
            #expect(packet.direction == source.direction)
            #expect(packet.queue == UInt32(i))
            #expect(packet.linkType == 1)
        }
        let stats = try #require(reader.interfaces[1].statistics)
        #expect(stats.received == 1001 && stats.dropped == 4 && stats.filterAccepted == 900)
        #expect(stats.osDropped == 2 && stats.userDelivered == 6)
        let start = try #require(stats.startTime), end = try #require(stats.endTime)
        let now = CaptureClock.realtimeNanoseconds()
        #expect(start <= end && end <= now && now - start < 60_000_000_000)
        #expect(reader.interfaces[1].statisticsTimestamp == end)
    }

    @Test func roundTripsTheWritersPcap() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("rt.pcap")
        try WriterOracleTests.writeSample(to: path, format: .pcap)
        let (reader, packets) = try Self.readAll(path)
        #expect(reader.format == .pcap(nanosecond: true, bigEndian: false))
        #expect(packets.map { $0.0.timestamp } == (0..<6).map { WriterOracleTests.baseTime + UInt64($0) * 1_000_001 })
        #expect(packets.map { $0.0.originalLength } == [60, 67, 74, 81, 88, 1514])
        #expect(packets.allSatisfy { $0.0.direction == nil && $0.0.queue == nil && $0.0.interfaceIndex == 0 })
    }

    @Test func readsTheDemoCaptureLikeTshark() throws {
        let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = repository.appendingPathComponent("Scripts/data/demo.pcap").path
        let (reader, packets) = try Self.readAll(path)
        let oracle = try Self.tsharkView(path)
        #expect(reader.format == .pcap(nanosecond: false, bigEndian: false))
        #expect(reader.interfaces.first?.linkType == 1)
        #expect(packets.count == 162)
        #expect(oracle.count == 162)
        #expect(packets.map { $0.0.timestamp } == oracle.map(\.0))
        #expect(packets.map { $0.0.capturedLength } == oracle.map(\.1))
        #expect(packets.first?.0.timestamp == Self.nanoseconds("1796487166.398612"))
    }

    @Test func readsBigEndianMicrosecondPcapWithAnyLinkType() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("be.pcap")
        writeBytes(PcapngTestFile.classicPcap(bigEndian: true, nanosecond: false, linkType: 101, snapLength: 1500, records: [
            (1_600_000_000, 999_999, [0x45, 0, 0, 20] + [UInt8](repeating: 0, count: 16)),
            (1_600_000_001, 5, [0x60, 0, 0, 0] + [UInt8](repeating: 0, count: 36)),
        ]), to: path)
        let (reader, packets) = try Self.readAll(path)
        #expect(reader.format == .pcap(nanosecond: false, bigEndian: true))
        #expect(packets.map { $0.0.linkType } == [101, 101])
        #expect(packets.map { $0.0.timestamp } == [1_600_000_000_999_999_000, 1_600_000_001_000_005_000])
        let oracle = try Self.tsharkView(path)
        #expect(packets.map { $0.0.timestamp } == oracle.map(\.0))
        #expect(packets[1].1.first == 0x60)
    }

    /// Two sections of opposite byte order, power-of-2 and millisecond
    /// resolutions, if_tsoffset, PB, SPB and blocks to skip; tshark is the
    /// oracle for the timestamp arithmetic.
    @Test func readsMixedSectionsResolutionsAndBlockTypes() throws {
        var file = PcapngTestFile()
        file.section(bigEndian: false, options: file.option(4, string: "handmade"))
        file.interface(linkType: 1, snapLength: 100, options: file.option(2, string: "eth9") + file.option(9, [0x94])
                       + file.option(14, file.encode(Int64(100))))
        file.block(4, [0, 0, 0, 0])  // name resolution block: skipped
        file.block(0x0000_0099, [1, 2, 3, 4, 5, 6, 7, 8])  // unknown type: skipped
        let frame = DPDKBlockBuilder.udpFrame(length: 60, seed: 1)
        file.enhancedPacket(interface: 0, ticks: 1_700_000_000 << 20 | 0xFFFFF, data: frame,
                            options: file.option(2, file.encode(UInt32(1))) + [0, 0, 0, 0])
        file.obsoletePacket(interface: 0, ticks: 5 << 20 | 1 << 19, data: frame, options: file.option(2, file.encode(UInt32(2))))
        // An SPB holds min(original length, snaplen) bytes: 100 of the 120.
        file.simplePacket(data: Array(DPDKBlockBuilder.udpFrame(length: 120, seed: 2).prefix(100)), originalLength: 120)
        file.section(bigEndian: true)
        file.interface(linkType: 113, options: file.option(9, [3]))
        file.enhancedPacket(interface: 0, ticks: 1_234_567, data: frame, originalLength: 2000,
                            options: file.option(2, file.encode(UInt32(2))) + file.option(6, file.encode(UInt32(5))))
        file.block(5, file.encode(UInt32(0)) + file.encode(UInt32(0)) + file.encode(UInt32(1_234_568))
            + file.option(4, file.encode(UInt64(77))) + [0, 0, 0, 0])
        let dir = TemporaryDirectory()
        let path = dir.file("mixed.pcapng")
        writeBytes(file.bytes, to: path)

        let (reader, packets) = try Self.readAll(path)
        try #require(packets.count == 4)
        #expect(reader.sectionCount == 2)
        #expect(reader.section.userApplication == nil)  // second section has no options
        #expect(reader.interfaces.count == 1 && reader.interfaces[0].linkType == 113)
        #expect(reader.interfaces[0].statistics?.received == 77)
        #expect(reader.interfaces[0].statisticsTimestamp == 1_234_568_000_000)
        let (epb, pb, spb, second) = (packets[0].0, packets[1].0, packets[2].0, packets[3].0)
        #expect(epb.timestamp == (1_700_000_100) * 1_000_000_000 + 999_999_046)  // (2^20-1)/2^20 s, truncated
        #expect(epb.direction == .inbound && epb.queue == nil)
        #expect(pb.timestamp == 105_500_000_000 && pb.direction == .outbound)
        #expect(spb.timestamp == 0 && spb.capturedLength == 100 && spb.originalLength == 120)
        #expect(second.timestamp == 1_234_567_000_000 && second.linkType == 113)
        #expect(second.direction == .outbound && second.queue == 5 && second.originalLength == 2000)
        #expect(packets[3].1 == frame)
        let oracle = try Self.tsharkView(path)
        try #require(oracle.count == 4)
        #expect([epb.timestamp, pb.timestamp, second.timestamp] == [oracle[0].0, oracle[1].0, oracle[3].0])
        #expect(packets.map { $0.0.capturedLength } == oracle.map(\.1))
    }
}
