extension LinkType {
    /// The decoder's view of a pcap / pcapng link type (the LINKTYPE_ value
    /// in the file header or interface block); nil when it cannot decode it.
    public init?(pcapLinkType value: UInt16) {
        switch value {
        case 1: self = .ethernet
        // 101 is LINKTYPE_RAW; 12 and 14 are DLT_RAW values older writers
        // put in files unmapped.
        case 12, 14, 101: self = .rawIP
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        case 0: self = .null
        case 108: self = .loop
        // 50 is PPP in HDLC-like framing (PPP_HDLC); decodePPP also accepts
        // the Cisco HDLC frames such links may carry.
        case 9, 50: self = .ppp
        case 51: self = .pppoe
        case 104: self = .ciscoHDLC
        default: return nil
        }
    }
}
