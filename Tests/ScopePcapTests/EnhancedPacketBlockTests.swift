import Testing
@testable import ScopePcap

@Suite struct EnhancedPacketBlockTests {
    let arena = MbufArena()

    func block(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer { arena.store(bytes) }

    @Test func readsWhatRtePcapngCopyWrote() throws {
        let frame = DPDKBlockBuilder.udpFrame(length: 61, seed: 1)
        let bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: frame, originalLength: 1500, timestamp: 0x1234_5678_9ABC_DEF0,
                                                         direction: .outbound, queue: 3)
        let epb = try EnhancedPacketBlock(validating: block(bytes))
        #expect(epb.blockLength == 28 + 64 + 16 + 4)
        #expect(epb.timestamp == 0x1234_5678_9ABC_DEF0)
        #expect(epb.capturedLength == 61)
        #expect(epb.originalLength == 1500)
        #expect(epb.direction == .outbound)
        #expect(epb.flags == 2)
        #expect(epb.queue == 3)
        #expect(Array(epb.packetBytes) == frame)
        #expect(epb.interfaceID == DPDKBlockBuilder.unsetInterfaceID)
    }

    @Test func setsInterfaceIDInPlace() throws {
        let memory = block(DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0))
        let epb = try EnhancedPacketBlock(validating: memory)
        epb.interfaceID = 7
        #expect(Array(memory[8..<12]) == [7, 0, 0, 0])
        #expect(epb.interfaceID == 7)
    }

    @Test func findsQueueAfterHashOption() throws {
        let bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: [0xAA], timestamp: 5, direction: .inbound, queue: 9, rssHash: 0xCAFE)
        let epb = try EnhancedPacketBlock(validating: block(bytes))
        #expect(epb.queue == 9)
        #expect(epb.direction == .inbound)
    }

    @Test func convertsToPcapRecordHeader() throws {
        let bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: [UInt8](repeating: 7, count: 64), originalLength: 9000,
                                                         timestamp: 1_700_000_001_000_000_002, direction: .inbound, queue: 0)
        let header = try EnhancedPacketBlock(validating: block(bytes)).pcapRecordHeader()
        #expect(header == PcapRecordHeader(seconds: 1_700_000_001, nanoseconds: 2, capturedLength: 64, originalLength: 9000))
    }

    /// Byte patches of a valid 52-byte block (28 header + 4 data + 16
    /// options + 4 trailer) and the error each must cause.
    static let corruptions: [(offset: Int, value: UInt8, expected: EnhancedPacketBlockError)] = [
        (0, 5, .notEnhancedPacketBlock(blockType: 5)),
        (4, 56, .lengthMismatch(header: 56, buffer: 52)),
        (48, 48, .trailerMismatch(header: 52, trailer: 48)),
        (20, 21, .capturedLengthTooLarge(captured: 21, blockLength: 52)),
    ]

    @Test(arguments: corruptions.indices)
    func rejectsMalformedBlocks(_ index: Int) {
        let corruption = Self.corruptions[index]
        var bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0)
        #expect(bytes.count == 52)
        bytes[corruption.offset] = corruption.value
        #expect(throws: corruption.expected) { _ = try EnhancedPacketBlock(validating: block(bytes)) }
    }

    @Test func rejectsTooShortBlocks() {
        let bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0)
        #expect(throws: EnhancedPacketBlockError.tooShort(28)) { _ = try EnhancedPacketBlock(validating: block(Array(bytes[0..<28]))) }
    }

    @Test func rejectsLengthNotMultipleOfFour() {
        var bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0)
        bytes.append(0)
        bytes[4] = 53
        #expect(throws: EnhancedPacketBlockError.lengthNotMultipleOf4(53)) { _ = try EnhancedPacketBlock(validating: block(bytes)) }
    }

    @Test func corruptOptionLengthEndsTheWalkSafely() throws {
        var bytes = DPDKBlockBuilder.enhancedPacketBlock(packet: [1, 2, 3, 4], timestamp: 1, direction: .inbound, queue: 0)
        bytes[34] = 0xFF  // epb_flags length 0xFF04: runs past the block
        let epb = try EnhancedPacketBlock(validating: block(bytes))
        #expect(epb.flags == nil)
        #expect(epb.direction == .unknown)
        #expect(epb.queue == nil)
    }
}
