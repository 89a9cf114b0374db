import Testing
import ScopeCore
@testable import ScopePcap

@Suite struct WriterBehaviourTests {
    @Test func releasesTokensOnlyAfterTheirBytesAreWritten() throws {
        let dir = TemporaryDirectory(), arena = MbufArena()
        var configuration = twoPortConfiguration(path: dir.file("t.pcapng"))
        configuration.maximumBatchVectors = 4
        var released: [UnsafeMutableRawPointer] = []
        let writer = try CaptureFileWriter(configuration: configuration, release: { buffer in released += buffer })
        let headerBytes = fileBytes(configuration.path).count
        var tokens: [UnsafeMutableRawPointer] = []
        // Packets above the copy threshold are written from caller memory
        // (one iovec each), so their tokens wait for the write.
        let length = CaptureFileWriter.copyThreshold + 40
        let blockLength = 28 + (length + 3) / 4 * 4 + 16 + 4
        for i in 0..<6 {
            let block = arena.store(DPDKBlockBuilder.enhancedPacketBlock(
                packet: DPDKBlockBuilder.udpFrame(length: length, seed: UInt8(i)), timestamp: 1, direction: .inbound, queue: 0))
            tokens.append(block.baseAddress!)
            try writer.append(block, interface: 0, token: block.baseAddress!)
        }
        // A batch of 4 went out when the fifth arrived; 2 are still queued.
        #expect(released == Array(tokens[0..<4]))
        #expect(fileBytes(configuration.path).count == headerBytes + 4 * blockLength)
        #expect(writer.holdsCallerMemory)
        try writer.flush()
        #expect(released == tokens)
        #expect(!writer.holdsCallerMemory)
        #expect(writer.totalPackets == 6)
        #expect(writer.filePackets == 6)
        #expect(writer.totalBytes == UInt64(headerBytes + 6 * blockLength))
        try writer.close()
    }

    @Test func flushesBeforeTheByteLimitIsExceeded() throws {
        let dir = TemporaryDirectory(), arena = MbufArena()
        var configuration = twoPortConfiguration(path: dir.file("b.pcapng"))
        configuration.maximumBatchBytes = 300
        var batches: [Int] = []
        let writer = try CaptureFileWriter(configuration: configuration, release: { batches.append($0.count) })
        for i in 0..<5 {
            let block = arena.store(DPDKBlockBuilder.enhancedPacketBlock(
                packet: DPDKBlockBuilder.udpFrame(length: 60, seed: UInt8(i)), timestamp: 1, direction: .inbound, queue: 0))
            try writer.append(block, interface: 0, token: block.baseAddress!)
        }
        try writer.close()
        #expect(batches == [2, 2, 1])  // 108-byte blocks, at most 300 bytes a batch
    }

    /// A packet larger than one mbuf arrives as a segment chain; the trailer
    /// may even straddle the last two segments.
    @Test(arguments: [CaptureFileConfiguration.Format.pcapng, .pcap])
    func writesSegmentedBlocks(format: CaptureFileConfiguration.Format) throws {
        let dir = TemporaryDirectory(), arena = MbufArena()
        let path = dir.file("seg.\(format == .pcap ? "pcap" : "pcapng")")
        let frame = DPDKBlockBuilder.udpFrame(length: 301, seed: 9)
        let whole = DPDKBlockBuilder.enhancedPacketBlock(packet: frame, timestamp: 1_700_000_000_000_000_123,
                                                         direction: .outbound, queue: 2)
        let cuts = [0, 40, 200, whole.count - 2, whole.count]
        let segments = (0..<4).map { arena.store(Array(whole[cuts[$0]..<cuts[$0 + 1]])) }
        let writer = try CaptureFileWriter(configuration: twoPortConfiguration(path: path, format: format))
        try segments.withUnsafeBufferPointer { try writer.append(segments: $0, interface: 1) }
        try writer.close()

        let reader = try CaptureFileReader(path: path)
        let packet = try #require(try reader.next())
        #expect(Array(packet.bytes) == frame)
        #expect(packet.timestamp == 1_700_000_000_000_000_123)
        #expect(packet.interfaceIndex == (format == .pcap ? 0 : 1))
        #expect(packet.direction == (format == .pcap ? nil : .outbound))
        #expect(try reader.next() == nil)
        let tshark = try ToolRunner.tshark(["-r", path, "-T", "fields", "-e", "frame.cap_len", "-e", "udp.srcport"])
        #expect(tshark.warnings.isEmpty, "tshark stderr: \(tshark.warnings)")
        #expect(tshark.lines == ["301\t12345"])
    }

    @Test func malformedBlockIsRefusedAndNotTaken() throws {
        let dir = TemporaryDirectory(), arena = MbufArena()
        var released = 0
        let writer = try CaptureFileWriter(configuration: twoPortConfiguration(path: dir.file("m.pcapng")),
                                       release: { released += $0.count })
        var bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0)
        bytes[bytes.count - 4] = 0
        let block = arena.store(bytes)
        let error = #expect(throws: ScopeError.self) { try writer.append(block, interface: 0, token: block.baseAddress!) }
        #expect(error?.message == "malformed packet block from the primary: trailing block length 0 differs from header length 52")
        #expect(throws: ScopeError.self) {
            try writer.append(arena.store(DPDKBlockBuilder.enhancedPacketBlock(packet: [1], timestamp: 1, direction: .inbound, queue: 0)),
                              interface: 2)
        }
        try writer.close()
        #expect(released == 0)
        #expect(writer.totalPackets == 0)
        #expect(throws: ScopeError.self) {
            try writer.append(arena.store(DPDKBlockBuilder.enhancedPacketBlock(packet: [1], timestamp: 1, direction: .inbound, queue: 0)),
                              interface: 0)
        }
    }

    @Test func refusesImpossibleConfigurations() {
        var toStdout = twoPortConfiguration(path: "-")
        toStdout.rotation = RotationPolicy(fileSizeBytes: 1000)
        #expect(throws: ScopeError.self) { _ = try CaptureFileWriter(configuration: toStdout) }
        let dir = TemporaryDirectory()
        var onlyFiles = twoPortConfiguration(path: dir.file("x.pcapng"))
        onlyFiles.rotation = RotationPolicy(maximumFiles: 3)
        #expect(throws: ScopeError.self) { _ = try CaptureFileWriter(configuration: onlyFiles) }
        var noInterfaces = twoPortConfiguration(path: dir.file("y.pcapng"))
        noInterfaces.interfaces = []
        #expect(throws: ScopeError.self) { _ = try CaptureFileWriter(configuration: noInterfaces) }
        let missing = twoPortConfiguration(path: dir.file("no/such/dir/z.pcapng"))
        let error = #expect(throws: ScopeError.self) { _ = try CaptureFileWriter(configuration: missing) }
        #expect(error?.message == "cannot create capture file \(missing.path): No such file or directory")
    }
}
