import Testing
import ScopeCore
@testable import ScopePcap

/// Files written by CaptureFileWriter, judged by Wireshark's own tools.
@Suite struct WriterOracleTests {
    static let baseTime: UInt64 = 1_700_000_000_123_456_789

    /// Six packets over two interfaces: both directions, several queues, odd
    /// lengths (padding), one RSS-hashed, one snapped (caplen < origlen).
    static func samplePackets() -> [(bytes: [UInt8], interface: UInt32)] {
        (0..<6).map { i in
            let frame = DPDKBlockBuilder.udpFrame(length: 60 + i * 7, seed: UInt8(i))
            let epb = DPDKBlockBuilder.enhancedPacketBlock(
                packet: frame, originalLength: i == 5 ? 1514 : nil, timestamp: baseTime + UInt64(i) * 1_000_001,
                direction: i % 3 == 2 ? .outbound : .inbound, queue: UInt32(i), rssHash: i == 1 ? 0xABCD_EF01 : nil)
            return (epb, UInt32(i % 2))
        }
    }

    static func writeSample(to path: String, format: CaptureFileConfiguration.Format = .pcapng) throws {
        let arena = MbufArena()
        let writer = try CaptureFileWriter(configuration: twoPortConfiguration(path: path, format: format)) { index in
            InterfaceStatistics(received: 1000 + UInt64(index), dropped: 3 + UInt64(index), filterAccepted: 900,
                                osDropped: 2, userDelivered: 6)
        }
        for packet in samplePackets() {
            try writer.append(arena.store(packet.bytes), interface: packet.interface)
        }
        try writer.close()
    }

    @Test func pcapngReadsCleanlyInTshark() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("two.pcapng")
        try Self.writeSample(to: path)
        let fields = try ToolRunner.tshark([
            "-r", path, "-T", "fields", "-E", "separator=|", "-e", "frame.interface_name", "-e", "frame.interface_description",
            "-e", "frame.packet_flags_direction", "-e", "frame.interface_queue", "-e", "frame.time_epoch",
            "-e", "frame.cap_len", "-e", "frame.len",
        ])
        #expect(fields.status == 0)
        #expect(fields.warnings.isEmpty, "tshark stderr: \(fields.warnings)")
        let rows = fields.lines.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        try #require(rows.count == 6)
        for (i, row) in rows.enumerated() {
            #expect(row[0] == (i % 2 == 0 ? "net_null0" : "0000:03:00.0"))
            #expect(row[1] == (i % 2 == 0 ? "net_null, port 0" : "net_ice, port 1"))
            #expect(row[2] == (i % 3 == 2 ? "0x00000002" : "0x00000001"))
            #expect(row[3] == "\(i)")
            let ns = Self.baseTime + UInt64(i) * 1_000_001
            #expect(row[4] == "\(ns / 1_000_000_000).\(String(ns % 1_000_000_000).leftPadded(9))")
            #expect(row[5] == "\(60 + i * 7)")
            #expect(row[6] == (i == 5 ? "1514" : "\(60 + i * 7)"))
        }
    }

    @Test func capinfosSeesInterfacesAndStatistics() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("two.pcapng")
        try Self.writeSample(to: path)
        let info = try ToolRunner.capinfos(["-M", "-t", "-c", "-I", "-k", path])
        #expect(info.status == 0)
        #expect(info.warnings.isEmpty, "capinfos stderr: \(info.warnings)")
        #expect(info.stdout.contains("File type:           pcapng"))
        #expect(info.stdout.contains("Number of packets:   6"))
        #expect(info.stdout.contains("Number of interfaces in file: 2"))
        #expect(info.stdout.contains("Name = net_null0"))
        #expect(info.stdout.contains("Name = 0000:03:00.0"))
        #expect(info.stdout.contains("Filter string = tcp"))
        #expect(info.stdout.contains("Time precision = nanoseconds (9)"))
        #expect(info.stdout.components(separatedBy: "Number of stat entries = 1").count == 3)
        #expect(info.stdout.contains("Capture comment:     unit test"))
    }

    /// tshark's pcapng file-format dissector decodes the blocks themselves,
    /// including every ISB counter.
    @Test func blockStructureAndStatisticsCounters() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("two.pcapng")
        try Self.writeSample(to: path)
        let prefix = "pcapng.options.option.data.interface."
        let result = try ToolRunner.tshark([
            "-X", "read_format:MIME Files Format", "-r", path, "-T", "fields", "-E", "separator=|",
            "-e", "pcapng.block.type", "-e", prefix + "received", "-e", prefix + "dropped",
            "-e", prefix + "accepted_by_filter", "-e", prefix + "dropped_by_os", "-e", prefix + "delivered_to_user",
            "-e", "pcapng.options.option.data.packet.queue",
        ])
        #expect(result.status == 0)
        #expect(result.warnings.isEmpty, "tshark stderr: \(result.warnings)")
        let fields = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        try #require(fields.count == 7)
        #expect(fields[0] == ["0x0a0d0d0a", "0x00000001", "0x00000001"].joined(separator: ",")
            + String(repeating: ",0x00000006", count: 6) + ",0x00000005,0x00000005")
        #expect(fields[1] == "1000,1001")
        #expect(fields[2] == "3,4")
        #expect(fields[3] == "900,900")
        #expect(fields[4] == "2,2")
        #expect(fields[5] == "6,6")
        #expect(fields[6] == "0,1,2,3,4,5")
    }

    @Test func classicPcapHasNanosecondTimestamps() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("two.pcap")
        try Self.writeSample(to: path, format: .pcap)
        let info = try ToolRunner.capinfos(["-M", "-t", "-c", "-E", "-l", path])
        #expect(info.status == 0)
        #expect(info.warnings.isEmpty, "capinfos stderr: \(info.warnings)")
        #expect(info.stdout.contains("File type:           nsecpcap"))
        #expect(info.stdout.contains("Number of packets:   6"))
        #expect(info.stdout.contains("File encapsulation:  ether"))
        #expect(info.stdout.contains("Packet size limit:   file hdr: 65535 bytes"))
        let times = try ToolRunner.tshark(["-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len"])
        #expect(times.warnings.isEmpty, "tshark stderr: \(times.warnings)")
        #expect(times.lines.first == "1700000000.123456789\t60")
        #expect(times.lines.last == "1700000000.128456794\t1514")
        #expect(fileBytes(path).count == 24 + 6 * 16 + (0..<6).reduce(0) { $0 + 60 + $1 * 7 })
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
