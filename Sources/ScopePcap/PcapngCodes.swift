/// Numeric codes of the pcapng format (draft-ietf-opsawg-pcapng), in one
/// place so encoders, the EPB patcher and the reader agree on them.
enum PcapngBlockType {
    static let interfaceDescription: UInt32 = 1
    /// Obsolete Packet Block; still found in old files, so the reader accepts it.
    static let packet: UInt32 = 2
    static let simplePacket: UInt32 = 3
    static let interfaceStatistics: UInt32 = 5
    static let enhancedPacket: UInt32 = 6
    /// Palindromic, so it reads the same in either byte order.
    static let sectionHeader: UInt32 = 0x0A0D_0D0A
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
}

enum PcapngOption {
    static let endOfOptions: UInt16 = 0
    static let comment: UInt16 = 1

    static let shbHardware: UInt16 = 2
    static let shbOS: UInt16 = 3
    static let shbUserApplication: UInt16 = 4

    static let ifName: UInt16 = 2
    static let ifDescription: UInt16 = 3
    static let ifTimestampResolution: UInt16 = 9
    static let ifFilter: UInt16 = 11
    static let ifOS: UInt16 = 12
    static let ifTimestampOffset: UInt16 = 14

    static let epbFlags: UInt16 = 2
    static let epbHash: UInt16 = 3
    /// DPDK's pcapng_proto.h numbers epb_queue 6 (flags 2, hash 3, dropcount 4,
    /// packetid 5, queue 6), matching the pcapng draft.
    static let epbQueue: UInt16 = 6

    static let isbStartTime: UInt16 = 2
    static let isbEndTime: UInt16 = 3
    static let isbIfRecv: UInt16 = 4
    static let isbIfDrop: UInt16 = 5
    static let isbFilterAccept: UInt16 = 6
    static let isbOSDrop: UInt16 = 7
    static let isbUserDelivered: UInt16 = 8
}

/// Ethernet in both the pcap and pcapng link-type registries.
public let linkTypeEthernet: UInt16 = 1

@inline(__always)
func alignedTo4(_ n: Int) -> Int { (n &+ 3) & ~3 }
