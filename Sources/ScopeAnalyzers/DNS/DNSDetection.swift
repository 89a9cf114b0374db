import ScopeDecode

/// Content detection for DNS: a header that makes sense (known opcode, zero
/// Z bit, exactly one question, a query carrying no answers); over TCP,
/// record counts that fit the length prefix; for whole datagrams, a
/// message that parses to its last byte.
enum DNSDetection {
    static func plausibleHeader(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> ContentMatch {
        guard bytes.count >= offset &+ 12 else { return .needMore }
        let flags = DNSParser.u16(bytes, offset &+ 2)
        let opcode = flags >> 11 & 0xF
        let isResponse = flags & 0x8000 != 0
        guard [0, 1, 2, 4, 5].contains(opcode), flags & 0x0040 == 0, DNSParser.u16(bytes, offset &+ 4) == 1 else {
            return .no
        }
        if !isResponse && opcode == 0 && (DNSParser.u16(bytes, offset &+ 6) != 0 || DNSParser.u16(bytes, offset &+ 8) != 0) {
            return .no
        }
        return isResponse ? .fromServer : .fromClient
    }

    static func matchDatagram(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        let header = plausibleHeader(bytes, at: 0)
        // Parsing is lenient with padding and broken records; a guess from
        // content is not: the datagram must be one whole, sound message.
        guard header == .fromClient || header == .fromServer, case .success(let message) = DNSParser.parse(bytes),
              !message.partial.isSome, message.trailingBytes == 0 else { return .no }
        return header
    }

    static func matchStream(_ bytes: UnsafeRawBufferPointer) -> ContentMatch {
        guard bytes.count >= 2 else { return .needMore }
        let length = Int(bytes[0]) << 8 | Int(bytes[1])
        guard length >= 17 else { return .no }  // header + smallest question
        let header = plausibleHeader(bytes, at: 2)
        guard header == .fromClient || header == .fromServer else { return header }
        // Each record takes at least 11 bytes after the header and the
        // question: counts that cannot fit the length are no DNS message.
        // (A TLS ClientHello with a 0x01xx record length reads as an UPDATE
        // of 10,499 records in 5,635 bytes.)
        let records = Int(DNSParser.u16(bytes, 8)) &+ Int(DNSParser.u16(bytes, 10)) &+ Int(DNSParser.u16(bytes, 12))
        return 17 &+ records &* 11 <= length ? header : .no
    }
}
