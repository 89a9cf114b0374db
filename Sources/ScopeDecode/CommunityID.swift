/// Community ID v1 flow hashing (https://github.com/corelight/community-id-spec):
/// "1:" + base64(SHA1(seed . saddr . daddr . proto . 0 . sport . dport)),
/// endpoints ordered so both directions of a flow hash the same.
public enum CommunityID {
    /// Protocols whose hash input includes ports (ICMP types/codes as ports).
    static func hasPorts(_ ipProtocol: UInt8) -> Bool {
        switch ipProtocol {
        case 1, 6, 17, 58, 132: return true
        default: return false
        }
    }

    /// Zeek's mapping of ICMP type/code onto port-like numbers: request and
    /// reply types pair up (and may be flipped); anything else is one-way,
    /// hashed as (type, code) in the order seen.
    public static func icmpPortEquivalents(type: UInt8, code: UInt8, version6: Bool)
        -> (sourcePort: UInt16, destinationPort: UInt16, oneWay: Bool)
    {
        let counterpart: UInt8?
        if version6 {
            switch type {
            case 128: counterpart = 129  // echo request / reply
            case 129: counterpart = 128
            case 130: counterpart = 131  // MLD query / report
            case 131: counterpart = 130
            case 133: counterpart = 134  // router solicitation / advertisement
            case 134: counterpart = 133
            case 135: counterpart = 136  // neighbor solicitation / advertisement
            case 136: counterpart = 135
            case 139: counterpart = 140  // node information query / reply
            case 140: counterpart = 139
            case 144: counterpart = 145  // home agent address discovery
            case 145: counterpart = 144
            default: counterpart = nil
            }
        } else {
            switch type {
            case 8: counterpart = 0  // echo / echo reply
            case 0: counterpart = 8
            case 13: counterpart = 14  // timestamp
            case 14: counterpart = 13
            case 15: counterpart = 16  // information
            case 16: counterpart = 15
            case 10: counterpart = 9  // router solicitation / advertisement
            case 9: counterpart = 10
            case 17: counterpart = 18  // address mask
            case 18: counterpart = 17
            default: counterpart = nil
            }
        }
        if let counterpart { return (UInt16(type), UInt16(counterpart), false) }
        return (UInt16(type), UInt16(code), true)
    }

    /// Digest for one packet's tuple. For ICMP (1) and ICMPv6 (58) pass the
    /// message type as `sourcePort` and the code as `destinationPort`; the
    /// Zeek mapping is applied here. Ports are ignored for protocols other
    /// than TCP, UDP, SCTP and ICMP.
    public static func digest(
        source: IPAddress, destination: IPAddress, ipProtocol: UInt8,
        sourcePort: UInt16, destinationPort: UInt16, seed: UInt16 = 0
    ) -> SHA1Digest {
        var (fromAddress, toAddress) = (source, destination)
        var (fromPort, toPort) = (sourcePort, destinationPort)
        var oneWay = false
        if ipProtocol == 1 || ipProtocol == 58 {
            let mapped = icmpPortEquivalents(type: UInt8(truncatingIfNeeded: sourcePort),
                                             code: UInt8(truncatingIfNeeded: destinationPort),
                                             version6: ipProtocol == 58)
            (fromPort, toPort, oneWay) = mapped
        }
        let ordered = oneWay || fromAddress < toAddress || (fromAddress == toAddress && fromPort < toPort)
        if !ordered {
            swap(&fromAddress, &toAddress)
            swap(&fromPort, &toPort)
        }
        // At most 2 + 16 + 16 + 2 + 4 = 40 bytes, kept on the stack.
        var input: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        let count = withUnsafeMutableBytes(of: &input) { raw -> Int in
            var cursor = 0
            func put<T: FixedWidthInteger>(_ value: T) {
                raw.storeBytes(of: value.bigEndian, toByteOffset: cursor, as: T.self)
                cursor += MemoryLayout<T>.size
            }
            func put(_ address: IPAddress) {
                if address.family == .ipv4 {
                    put(UInt32(truncatingIfNeeded: address.low))
                } else {
                    put(address.high)
                    put(address.low)
                }
            }
            put(seed)
            put(fromAddress)
            put(toAddress)
            put(ipProtocol)
            put(UInt8(0))
            if hasPorts(ipProtocol) {
                put(fromPort)
                put(toPort)
            }
            return cursor
        }
        return withUnsafeBytes(of: &input) { SHA1.hash(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Appends "1:<base64 digest>".
    public static func append(_ digest: SHA1Digest, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "1"))
        output.append(UInt8(ascii: ":"))
        Base64.append(digest.bytes, to: &output)
    }

    public static func string(_ digest: SHA1Digest) -> String {
        var output: [UInt8] = []
        append(digest, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}

/// A Community ID's text after the "1:" (28 characters of base64), held
/// inline in 28 bytes: a TCP session renders it once and each of its
/// events copies it (`JSONCursor.communityID(_:)`) instead of encoding the
/// digest again.
public struct CommunityIDText: Equatable, Sendable {
    @usableFromInline var base64: (UInt64, UInt64, UInt64, UInt32) = (0, 0, 0, 0)
    @inlinable static var count: Int { 28 }

    public init(_ digest: SHA1Digest) {
        withUnsafeMutableBytes(of: &base64) { raw in
            var cursor = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            JSONText.putBase64(digest, &cursor)
        }
    }

    /// As `CommunityID.string`.
    public var string: String {
        "1:" + withUnsafeBytes(of: base64) { String(decoding: $0.prefix(Self.count), as: UTF8.self) }
    }

    public static func == (lhs: CommunityIDText, rhs: CommunityIDText) -> Bool {
        lhs.base64 == rhs.base64
    }
}
