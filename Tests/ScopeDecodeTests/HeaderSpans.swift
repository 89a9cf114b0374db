@testable import ScopeDecode

/// The headers of a decoded real packet as byte ranges, outermost first,
/// each with the reason the decoder must give when a cut leaves it
/// incomplete. Built from the whole packet's decode (whose offsets the
/// oracle tests check against tshark) plus the header lengths in the bytes.
struct HeaderSpans {
    struct Span: Equatable {
        var start: Int
        var end: Int
        var reason: DecodeError
    }

    /// A length field to rewrite so a cut datagram is consistent.
    enum LengthField {
        case ipv4(Int), ipv6(Int), udp(Int)
    }

    private(set) var spans: [Span] = []
    private(set) var lengthFields: [LengthField] = []
    /// `.unsupportedEtherType` when the innermost frame is not IP: any cut
    /// after its Ethernet header still reports that.
    private(set) var trailing: DecodeError?
    private let bytes: [UInt8]

    init(_ bytes: [UInt8], _ packet: DecodedPacket) {
        self.bytes = bytes
        var ethernet: Int? = 0
        for index in 0..<packet.tunnelDepth {
            guard let tunnel = packet.tunnel(at: index) else { break }
            if let start = ethernet { addEthernet(start, next: tunnel.outerNetworkOffset) }
            let header = tunnel.headerOffset
            let carrier = tunnel.kind == .gre ? header : header - 8
            addIP(tunnel.outerNetworkOffset, headersEnd: carrier)
            if tunnel.kind == .vxlan {
                addUDP(carrier)
                add(header, header + 8, .truncatedVXLAN)
                ethernet = header + 8
            } else {
                let flags = Int(bytes[header]) << 8
                let length = 4 + [0x8000, 0x2000, 0x1000].filter { flags & $0 != 0 }.count * 4
                add(header, header + length, .truncatedGRE)
                ethernet = tunnel.protocolType == 0x6558 ? header + length : nil
            }
        }
        if packet.network == .other {
            if let start = ethernet { addEthernet(start, next: packet.payloadOffset) }
            trailing = .unsupportedEtherType
            return
        }
        if let start = ethernet { addEthernet(start, next: packet.networkOffset) }
        let fragment = packet.fragment.isFragment
        addIP(packet.networkOffset, headersEnd: fragment ? packet.fragment.dataOffset : packet.transportOffset)
        guard !fragment else { return }
        let start = packet.transportOffset
        switch packet.transport {
        case .tcp:
            add(start, start + 20, .truncatedTCP)
            add(start + 20, start + packet.tcp.headerLength, .badTCPDataOffset)
        case .udp: addUDP(start)
        case .icmpv4, .icmpv6: add(start, start + 8, .truncatedICMP)
        default: break
        }
    }

    /// What decoding the first `cut` bytes must report once the lengths
    /// along the way agree with the cut (nil: decodes, a shorter payload).
    func reason(datagramCutAt cut: Int) -> DecodeError? {
        spans.first { cut < $0.end }?.reason ?? trailing
    }

    /// What decoding the first `cut` bytes must report when the lengths are
    /// left as they were (a snap length): the outermost IP header's own
    /// length check fails, so nothing inside it is reached.
    func reason(frameCutAt cut: Int) -> DecodeError? {
        guard let ip = spans.firstIndex(where: { $0.reason == .truncatedIPv4 || $0.reason == .truncatedIPv6 }) else {
            return reason(datagramCutAt: cut)
        }
        if cut < spans[ip].start { return reason(datagramCutAt: cut) }
        let start = spans[ip].start
        let end = spans[ip].reason == .truncatedIPv4 ? start + u16(start + 2) : start + 40 + u16(start + 4)
        return cut < end ? spans[ip].reason : nil
    }

    /// The first `cut` bytes with every IP and UDP length field whose
    /// header survives rewritten to end at the cut.
    func datagram(cutAt cut: Int) -> [UInt8] {
        var prefix = Array(bytes[..<cut])
        func store(_ value: Int, at offset: Int) {
            prefix[offset] = UInt8(truncatingIfNeeded: value >> 8)
            prefix[offset + 1] = UInt8(truncatingIfNeeded: value)
        }
        for field in lengthFields {
            switch field {
            case .ipv4(let start) where cut >= start + 20: store(cut - start, at: start + 2)
            case .ipv6(let start) where cut >= start + 40: store(cut - start - 40, at: start + 4)
            case .udp(let start) where cut >= start + 8: store(cut - start, at: start + 4)
            default: break
            }
        }
        return prefix
    }

    /// True when the spans tile the headers without gaps or overlaps.
    var isContiguous: Bool {
        zip(spans, spans.dropFirst()).allSatisfy { $0.end == $1.start } && spans.first?.start == 0
    }

    private func u16(_ offset: Int) -> Int { Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) }

    private mutating func add(_ start: Int, _ end: Int, _ reason: DecodeError) {
        if end > start { spans.append(Span(start: start, end: end, reason: reason)) }
    }

    private mutating func addEthernet(_ start: Int, next: Int) {
        add(start, start + 14, .truncatedEthernet)
        add(start + 14, next, .truncatedVLAN)
    }

    /// IPv4 header with options, or IPv6 header plus extension headers up to
    /// `headersEnd` (the transport header or a fragment's data).
    private mutating func addIP(_ start: Int, headersEnd: Int) {
        if bytes[start] >> 4 == 4 {
            add(start, headersEnd, .truncatedIPv4)
            lengthFields.append(.ipv4(start))
        } else {
            add(start, start + 40, .truncatedIPv6)
            add(start + 40, headersEnd, .badExtensionHeader)
            lengthFields.append(.ipv6(start))
        }
    }

    private mutating func addUDP(_ start: Int) {
        add(start, start + 8, .truncatedUDP)
        lengthFields.append(.udp(start))
    }
}
