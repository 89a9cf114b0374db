/// pcapng Section Header Block: byte-order magic, version 1.0, unknown
/// section length (-1, since we stream), and the descriptive options tshark
/// shows under "Capture file properties".
public struct SectionHeaderBlock: Sendable, Equatable {
    /// shb_hardware, e.g. the CPU model.
    public var hardware: String?
    /// shb_os, e.g. "Linux 6.1.0-18-amd64".
    public var os: String?
    /// shb_userappl, e.g. "dpdkscope 0.3.0".
    public var userApplication: String?
    /// opt_comment, one option each (`--capture-comment`).
    public var comments: [String]

    public init(hardware: String? = nil, os: String? = nil, userApplication: String? = nil, comments: [String] = []) {
        self.hardware = hardware
        self.os = os
        self.userApplication = userApplication
        self.comments = comments
    }

    /// Fills hardware and OS from this machine (/proc/cpuinfo, uname).
    public static func describingThisHost(application: String, comments: [String] = []) -> SectionHeaderBlock {
        SectionHeaderBlock(
            hardware: HostDescription.cpuModel(),
            os: HostDescription.operatingSystem(),
            userApplication: application,
            comments: comments)
    }

    public func encoded() -> [UInt8] {
        var block = PcapngBlockBuilder(type: PcapngBlockType.sectionHeader)
        block.append(PcapngBlockType.byteOrderMagic)
        block.append(UInt16(1))  // major
        block.append(UInt16(0))  // minor
        block.append(Int64(-1))  // section length not known in advance
        for comment in comments { block.option(PcapngOption.comment, string: comment) }
        if let hardware { block.option(PcapngOption.shbHardware, string: hardware) }
        if let os { block.option(PcapngOption.shbOS, string: os) }
        if let userApplication { block.option(PcapngOption.shbUserApplication, string: userApplication) }
        return block.finish()
    }
}
