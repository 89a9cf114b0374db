/// Names of pcap link types (the LINKTYPE_ registry, without the prefix)
/// for messages: a user handed "link type 127" learns less than
/// "link type 127 (IEEE802_11_RADIOTAP)". Only types seen in practice.
public enum LinkTypeNames {
    public static func name(_ value: UInt16) -> String? {
        switch value {
        case 0: "NULL"
        case 1: "ETHERNET"
        case 6: "IEEE802_5"
        case 9: "PPP"
        case 10: "FDDI"
        case 50: "PPP_HDLC"
        case 51: "PPP_ETHER"
        case 101: "RAW"
        case 104: "C_HDLC"
        case 105: "IEEE802_11"
        case 107: "FRELAY"
        case 108: "LOOP"
        case 113: "LINUX_SLL"
        case 119: "IEEE802_11_PRISM"
        case 127: "IEEE802_11_RADIOTAP"
        case 147...162: "USER\(value - 147)"
        case 163: "IEEE802_11_AVS"
        case 187: "BLUETOOTH_HCI_H4"
        case 189: "USB_LINUX"
        case 192: "PPI"
        case 195: "IEEE802_15_4_WITHFCS"
        case 201: "BLUETOOTH_HCI_H4_WITH_PHDR"
        case 215: "IEEE802_15_4_NOFCS"
        case 220: "USB_LINUX_MMAPPED"
        case 227: "CAN_SOCKETCAN"
        case 228: "IPV4"
        case 229: "IPV6"
        case 249: "USBPCAP"
        case 252: "WIRESHARK_UPPER_PDU"
        case 253: "NETLINK"
        case 254: "BLUETOOTH_LINUX_MONITOR"
        case 263: "INFINIBAND"
        case 276: "LINUX_SLL2"
        default: nil
        }
    }

    /// The DLT_ value libpcap (pcap_open_dead, pcap_compile) takes for a
    /// file's LINKTYPE_ value. They agree but for raw IP: LINKTYPE_RAW
    /// (101) is DLT_RAW, 12 on Linux, as are the 12 and 14 older writers
    /// put in files unmapped (14 is OpenBSD's DLT_RAW).
    public static func dlt(_ value: UInt16) -> Int32 {
        switch value {
        case 101, 14: 12
        default: Int32(value)
        }
    }

    /// "105 (IEEE802_11)", or the bare number when it has no name here.
    public static func describe(_ value: UInt16) -> String {
        name(value).map { "\(value) (\($0))" } ?? "\(value)"
    }
}
