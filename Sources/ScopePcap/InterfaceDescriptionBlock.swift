/// pcapng Interface Description Block for one captured DPDK port. Timestamps
/// are always nanoseconds (if_tsresol = 9): that is what rte_pcapng_copy puts
/// in every EPB.
public struct InterfaceDescriptionBlock: Sendable, Equatable {
    public var linkType: UInt16
    public var snapLength: UInt32
    /// if_name: the DPDK device name, e.g. "net_null0" or "0000:03:00.0".
    public var name: String?
    /// if_description, e.g. "net_null, port 0".
    public var description: String?
    /// if_filter as a libpcap expression (filter type byte 0).
    public var filter: String?
    /// if_os
    public var os: String?

    public static let nanosecondResolution: UInt8 = 9

    public init(linkType: UInt16 = linkTypeEthernet, snapLength: UInt32, name: String? = nil,
                description: String? = nil, filter: String? = nil, os: String? = nil) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.name = name
        self.description = description
        self.filter = filter
        self.os = os
    }

    public func encoded() -> [UInt8] {
        var block = PcapngBlockBuilder(type: PcapngBlockType.interfaceDescription)
        block.append(linkType)
        block.append(UInt16(0))  // reserved
        block.append(snapLength)
        if let name { block.option(PcapngOption.ifName, string: name) }
        if let description { block.option(PcapngOption.ifDescription, string: description) }
        block.option(PcapngOption.ifTimestampResolution, bytes: [Self.nanosecondResolution])
        if let filter {
            // Type 0 = libpcap filter string; the byte counts against the 16-bit length.
            let expression = PcapngBlockBuilder.utf8Prefix(filter, maxBytes: Int(UInt16.max) - 1)
            block.option(PcapngOption.ifFilter, bytes: [0] + expression)
        }
        if let os { block.option(PcapngOption.ifOS, string: os) }
        return block.finish()
    }
}
