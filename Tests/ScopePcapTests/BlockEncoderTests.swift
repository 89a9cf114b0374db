import Testing
@testable import ScopePcap

@Suite struct BlockEncoderTests {
    @Test func sectionHeaderIsByteExact() {
        let shb = SectionHeaderBlock(hardware: "ab", os: nil, userApplication: "xyz", comments: ["c"])
        let expected: [UInt8] = [
            0x0A, 0x0D, 0x0D, 0x0A, 56, 0, 0, 0,  // type, length
            0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0,  // magic, version 1.0
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // section length -1
            1, 0, 1, 0, 0x63, 0, 0, 0,  // opt_comment "c" + 3 pad
            2, 0, 2, 0, 0x61, 0x62, 0, 0,  // shb_hardware "ab" + 2 pad
            4, 0, 3, 0, 0x78, 0x79, 0x7A, 0,  // shb_userappl "xyz" + 1 pad
            0, 0, 0, 0,  // opt_endofopt
            56, 0, 0, 0,
        ]
        #expect(shb.encoded() == expected)
    }

    @Test func sectionHeaderWithoutOptionsHasNoEndOfOptions() {
        let bytes = SectionHeaderBlock().encoded()
        #expect(bytes.count == 28)
        #expect(Array(bytes[4..<8]) == [28, 0, 0, 0])
        #expect(Array(bytes[24..<28]) == [28, 0, 0, 0])
    }

    @Test func interfaceDescriptionIsByteExact() {
        let idb = InterfaceDescriptionBlock(snapLength: 262_144, name: "eth0", filter: "tcp")
        let expected: [UInt8] = [
            1, 0, 0, 0, 48, 0, 0, 0,
            1, 0, 0, 0, 0x00, 0x00, 0x04, 0x00,  // link type 1, reserved, snaplen 262144
            2, 0, 4, 0, 0x65, 0x74, 0x68, 0x30,  // if_name "eth0", no padding needed
            9, 0, 1, 0, 9, 0, 0, 0,  // if_tsresol 9
            11, 0, 4, 0, 0, 0x74, 0x63, 0x70,  // if_filter: type 0, "tcp"
            0, 0, 0, 0,
            48, 0, 0, 0,
        ]
        #expect(idb.encoded() == expected)
    }

    @Test func interfaceDescriptionCarriesDescriptionAndOS() {
        let bytes = InterfaceDescriptionBlock(linkType: 228, snapLength: 9000, description: "net_null, port 0", os: "Linux").encoded()
        #expect(Array(bytes[8..<10]) == [228, 0])
        // if_description: code 3, length 16, then if_tsresol, if_os (12) "Linux" padded to 8.
        #expect(Array(bytes[16..<20]) == [3, 0, 16, 0])
        #expect(Array(bytes[36..<44]) == [9, 0, 1, 0, 9, 0, 0, 0])
        #expect(Array(bytes[44..<56]) == [12, 0, 5, 0, 0x4C, 0x69, 0x6E, 0x75, 0x78, 0, 0, 0])
        #expect(bytes.count % 4 == 0)
    }

    @Test func statisticsBlockIsByteExact() {
        let isb = InterfaceStatisticsBlock(
            interfaceID: 1, timestamp: 0x0000_0001_0000_0002,
            statistics: InterfaceStatistics(startTime: 0x1122_3344_5566_7788, received: 5, dropped: 0))
        let expected: [UInt8] = [
            5, 0, 0, 0, 64, 0, 0, 0,
            1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,  // interface, timestamp high, low
            2, 0, 8, 0, 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55,  // isb_starttime: high word first
            4, 0, 8, 0, 5, 0, 0, 0, 0, 0, 0, 0,  // isb_ifrecv
            5, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // isb_ifdrop (present even when 0)
            0, 0, 0, 0,
            64, 0, 0, 0,
        ]
        #expect(isb.encoded() == expected)
    }

    @Test func statisticsBlockWithoutCountersIsMinimal() {
        let bytes = InterfaceStatisticsBlock(interfaceID: 0, timestamp: 7, statistics: InterfaceStatistics()).encoded()
        #expect(bytes == [5, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 24, 0, 0, 0])
    }

    @Test func classicPcapHeaderIsNanosecondEthernet() {
        let expected: [UInt8] = [0x4D, 0x3C, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]
        #expect(ClassicPcapFileHeader(snapLength: 65535).encoded() == expected)
    }

    @Test func pcapRecordHeaderSplitsNanoseconds() {
        let header = PcapRecordHeader(timestamp: 1_700_000_000_123_456_789, capturedLength: 60, originalLength: 1514)
        #expect(header.seconds == 1_700_000_000)
        #expect(header.nanoseconds == 123_456_789)
        #expect(header.encoded() == [0x00, 0xF1, 0x53, 0x65, 0x15, 0xCD, 0x5B, 0x07, 60, 0, 0, 0, 0xEA, 0x05, 0, 0])
    }

    @Test func oversizedCommentIsCutNotTrapped() {
        // 70000 bytes of "é" (2 bytes each): the option must stop at 65534, a
        // scalar boundary, and the block must stay 32-bit aligned.
        let comment = String(repeating: "é", count: 35_000)
        let bytes = SectionHeaderBlock(comments: [comment]).encoded()
        let optionLength = Int(bytes[26]) | Int(bytes[27]) << 8
        #expect(optionLength == 65_534)
        #expect(bytes.count == 24 + 4 + 65_536 + 4 + 4)
        #expect(bytes.count % 4 == 0)
    }

    @Test func hostDescriptionFindsCPUAndOS() {
        let shb = SectionHeaderBlock.describingThisHost(application: "dpdkscope 1.0")
        #expect(shb.userApplication == "dpdkscope 1.0")
        #expect(shb.os?.hasPrefix("Linux ") == true)
        #expect(shb.hardware?.isEmpty == false)
    }
}
