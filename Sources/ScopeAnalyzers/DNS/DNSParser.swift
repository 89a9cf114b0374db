import ScopeDecode

/// Whole-message DNS parser. Every read is bounds-checked; record loops are
/// bounded by the message size (each record takes at least 11 bytes) and at
/// most `maxRecordsKept` records per section are kept.
///
/// Only the header and the question section must be sound. A record that
/// cannot be read stops the parse there but keeps what came before it
/// (`DNSMessage.partial`): a corrupt additional record must not cost the
/// answers. Bytes after the last record (padding some home gateways add)
/// are counted in `trailingBytes`, not a failure.
enum DNSParser {
    static let maxRecordsKept = 64

    enum Failure: Error, Equatable {
        case tooShort
        case truncated
        case badName
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<DNSMessage, Failure> {
        guard bytes.count >= 12 else { return .failure(.tooShort) }
        var message = DNSMessage()
        message.size = bytes.count
        message.id = u16(bytes, 0)
        let flags = u16(bytes, 2)
        message.isResponse = flags & 0x8000 != 0
        message.opcode = UInt8(flags >> 11 & 0xF)
        message.authoritative = flags & 0x0400 != 0
        message.truncated = flags & 0x0200 != 0
        message.recursionDesired = flags & 0x0100 != 0
        message.recursionAvailable = flags & 0x0080 != 0
        message.authenticData = flags & 0x0020 != 0
        message.checkingDisabled = flags & 0x0010 != 0
        message.responseCode = flags & 0xF
        let questionCount = Int(u16(bytes, 4))
        message.answerCount = Int(u16(bytes, 6))
        message.authorityCount = Int(u16(bytes, 8))
        message.additionalCount = Int(u16(bytes, 10))
        var cursor = 12
        for _ in 0..<questionCount {
            guard let (name, next) = DNSNameReader.read(bytes, at: cursor) else { return .failure(.badName) }
            guard next &+ 4 <= bytes.count else { return .failure(.truncated) }
            if message.questions.count < maxRecordsKept {
                message.questions.append(DNSQuestion(name: name, type: u16(bytes, next), recordClass: u16(bytes, next &+ 2)))
            }
            cursor = next &+ 4
        }
        sections: for section in DNSSection.allCases {
            let count = switch section {
            case .answer: message.answerCount
            case .authority: message.authorityCount
            case .additional: message.additionalCount
            }
            for index in 0..<count {
                guard let (name, next) = DNSNameReader.read(bytes, at: cursor), next &+ 10 <= bytes.count,
                      next &+ 10 &+ Int(u16(bytes, next &+ 8)) <= bytes.count else {
                    message.partial = DNSPartial(section: section, record: index)
                    break sections
                }
                let type = u16(bytes, next)
                let recordClass = u16(bytes, next &+ 2)
                let ttl = UInt32(u16(bytes, next &+ 4)) << 16 | UInt32(u16(bytes, next &+ 6))
                let length = Int(u16(bytes, next &+ 8))
                let dataStart = next &+ 10
                cursor = dataStart &+ length
                if section == .additional && type == 41 {
                    // OPT: class is the UDP size, TTL holds extended RCODE, version, DO.
                    message.opt = DNSOpt(udpSize: recordClass, version: UInt8(truncatingIfNeeded: ttl >> 16),
                                         dnssecOK: ttl & 0x8000 != 0, extendedResponseCode: UInt8(ttl >> 24))
                    message.responseCode |= UInt16(ttl >> 24) << 4
                    continue
                }
                let data = DNSRecordData.render(bytes, type: type, range: dataStart..<(dataStart &+ length))
                let record = DNSRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data)
                switch section {
                case .answer where message.answers.count < maxRecordsKept: message.answers.append(record)
                case .authority where message.authorities.count < maxRecordsKept: message.authorities.append(record)
                case .additional where message.additionals.count < maxRecordsKept: message.additionals.append(record)
                default: break
                }
            }
        }
        if !message.partial.isSome { message.trailingBytes = bytes.count &- cursor }
        return .success(message)
    }

    @inline(__always)
    static func u16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset &+ 1])
    }
}

/// RDATA in presentation form for the common types; RFC 3597 generic form
/// for the rest (and for records whose data does not fit their type).
enum DNSRecordData {
    static func render(_ bytes: UnsafeRawBufferPointer, type: UInt16, range: Range<Int>) -> String {
        let data = UnsafeRawBufferPointer(rebasing: bytes[range])
        func name(at offset: Int) -> (String, Int)? {
            DNSNameReader.read(bytes, at: range.lowerBound &+ offset).map { ($0.name, $0.next &- range.lowerBound) }
        }
        func u32(_ offset: Int) -> UInt32 {
            UInt32(DNSParser.u16(data, offset)) << 16 | UInt32(DNSParser.u16(data, offset &+ 2))
        }
        switch type {
        case 1 where data.count == 4:
            return dottedQuad(data)
        case 28 where data.count == 16:
            let high = data.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = data.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return IPAddress(ipv6High: high, low: low).description
        case 2, 5, 12, 39:
            if let (target, end) = name(at: 0), end == data.count { return target }
        case 15 where data.count >= 3:
            if let (exchange, end) = name(at: 2), end == data.count { return "\(DNSParser.u16(data, 0)) \(exchange)" }
        case 33 where data.count >= 7:
            if let (target, end) = name(at: 6), end == data.count {
                return "\(DNSParser.u16(data, 0)) \(DNSParser.u16(data, 2)) \(DNSParser.u16(data, 4)) \(target)"
            }
        case 6:
            if let (primary, afterPrimary) = name(at: 0), let (mailbox, afterMailbox) = name(at: afterPrimary),
               afterMailbox &+ 20 == data.count {
                let numbers = (0..<5).map { String(u32(afterMailbox &+ $0 &* 4)) }.joined(separator: " ")
                return "\(primary) \(mailbox) \(numbers)"
            }
        case 16:
            if let strings = characterStrings(data) { return strings.joined(separator: " ") }
        default:
            break
        }
        let hex = data.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return "\\# \(data.count) " + hex.joined()
    }

    /// "192.0.2.1" from four bytes: at most 15 bytes, so a small String
    /// built in place (no array of Strings joined, no heap).
    static func dottedQuad(_ data: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: 15) { text in
            var count = 0
            for index in 0..<4 {
                let byte = data[index]
                if index > 0 {
                    text[count] = UInt8(ascii: ".")
                    count &+= 1
                }
                if byte >= 100 {
                    text[count] = 0x30 &+ byte / 100
                    count &+= 1
                }
                if byte >= 10 {
                    text[count] = 0x30 &+ byte / 10 % 10
                    count &+= 1
                }
                text[count] = 0x30 &+ byte % 10
                count &+= 1
            }
            return count
        }
    }

    /// TXT: a sequence of length-prefixed strings filling the RDATA exactly.
    static func characterStrings(_ data: UnsafeRawBufferPointer) -> [String]? {
        var strings: [String] = []
        var cursor = 0
        while cursor < data.count {
            let length = Int(data[cursor])
            guard cursor &+ 1 &+ length <= data.count else { return nil }
            strings.append(String(decoding: UnsafeRawBufferPointer(rebasing: data[(cursor &+ 1)..<(cursor &+ 1 &+ length)]),
                                  as: UTF8.self))
            cursor &+= 1 &+ length
        }
        return strings
    }
}
