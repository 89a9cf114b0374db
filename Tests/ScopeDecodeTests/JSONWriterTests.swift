import Foundation
import Testing
@testable import ScopeDecode

/// The pointer-based writer against a byte-at-a-time reference: every
/// escaping path (control characters, quotes, backslashes, runs found eight
/// bytes at a time, long strings), UTF-8 repair, and the fixed-shape values.
@Suite("JSONWriter fast paths")
struct JSONWriterTests {
    /// RFC 8259 escaping, one byte at a time: what the writer must produce.
    static func reference(_ text: String) -> String {
        var out: [UInt8] = [0x22]
        for byte in text.utf8 {
            switch byte {
            case 0x22: out += Array("\\\"".utf8)
            case 0x5C: out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case ..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out + [0x22], as: UTF8.self)
    }

    static func written(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(reservingCapacity: 0)
        body(&writer)
        return String(decoding: writer.output, as: UTF8.self)
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Bytes {
        var state: UInt64
        mutating func next() -> UInt8 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// Pre-rendered members and values take their commas like the rest.
    @Test func renderedFragmentsTakeCommas() {
        var fragment = JSONWriter()
        fragment.field("a", 1)
        fragment.field("b", "x")
        var json = JSONWriter()
        json.beginObject()
        json.rendered(fragment.output)
        json.rendered([])
        json.field("c", 2)
        json.rendered(fragment.output)
        json.key("d")
        json.beginArray()
        json.rendered(Array("{}".utf8))
        json.rendered(Array("{}".utf8))
        json.endArray()
        json.endObject()
        #expect(String(decoding: json.output, as: UTF8.self) == #"{"a":1,"b":"x","c":2,"a":1,"b":"x","d":[{},{}]}"#)
    }

    @Test func everyASCIIByteAtEveryPositionOfAWord() {
        for byte in UInt8(0)..<0x80 {
            for position in 0..<17 {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: 17)
                bytes[position] = byte
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(Self.written { $0.string(text) } == Self.reference(text), "byte \(byte) at \(position)")
                #expect(Self.written { $0.key(text) } == Self.reference(text) + ":")
            }
        }
    }

    @Test func longStringsWithScatteredEscapes() {
        var random = Bytes(state: 0x9E37_79B9_7F4A_7C15)
        for length in [63, 64, 65, 200, 4096, 100_000] {
            let bytes = (0..<length).map { _ -> UInt8 in
                let byte = random.next() & 0x7F
                return byte % 7 == 0 ? byte % 0x20 : byte  // about one in seven needs escaping
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(Self.written { $0.string(text) } == Self.reference(text), "length \(length)")
            let plain = String(repeating: "x", count: length)
            #expect(Self.written { $0.string(plain) } == "\"" + plain + "\"")
        }
    }

    @Test(arguments: [
        [0x61, 0x80, 0x62] as [UInt8],          // lone continuation byte
        [0xC0, 0x80], [0xC1, 0xBF],             // overlong two-byte forms
        [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], // overlong three-byte forms
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], // UTF-16 surrogates
        [0xF0, 0x80, 0x80, 0x80],               // overlong four-byte form
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],  // past U+10FFFF
        [0x61, 0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3],  // truncated at the end
        [0xE2, 0x28, 0xA1], [0xC3, 0x41],       // continuation missing mid-string
        [0xC3, 0xA9, 0xE2, 0x98, 0x83, 0xF0, 0x9F, 0x98, 0x80, 0xED, 0x9F, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF],  // all valid
    ])
    func utf8IsValidatedAndRepaired(bytes: [UInt8]) throws {
        let repaired = String(decoding: bytes, as: UTF8.self)
        #expect(bytes.withUnsafeBufferPointer { JSONText.isValidUTF8($0) } == (Array(repaired.utf8) == bytes))
        let expected = Self.reference(repaired)
        #expect(Self.written { $0.string(utf8: bytes) } == expected)
        #expect(bytes.withUnsafeBytes { raw in Self.written { $0.string(utf8: raw) } } == expected)
        let pieces = bytes.withUnsafeBytes { raw in
            Self.written { json in
                json.write(reserving: 0) { cursor in
                    cursor.beginString()
                    cursor.piece(utf8: raw)
                    cursor.endString()
                }
            }
        }
        #expect(pieces == expected)
        let parsed = try JSONSerialization.jsonObject(with: Data(Self.written { $0.string(utf8: bytes) }.utf8),
                                                      options: .fragmentsAllowed)
        #expect(parsed as? String == repaired)
    }

    @Test func randomBytesAgreeWithTheStandardLibrary() {
        var random = Bytes(state: 0x0123_4567_89AB_CDEF)
        for round in 0..<2000 {
            // Mostly high bytes, so sequences of every length turn up, well-formed or not.
            let bytes = (0..<(round % 40)).map { _ in random.next() | (round % 3 == 0 ? 0 : 0x80) }
            let repaired = String(decoding: bytes, as: UTF8.self)
            let valid = bytes.withUnsafeBufferPointer { JSONText.isValidUTF8($0) }
            #expect(valid == (Array(repaired.utf8) == bytes), "\(bytes)")
            #expect(Self.written { $0.string(utf8: bytes) } == Self.reference(repaired), "\(bytes)")
        }
    }

    @Test func composedStringsAndSeparators() throws {
        let text = Self.written { json in
            json.beginObject()
            json.key("a\"b")
            json.write(reserving: 8) { cursor in  // too little on purpose: the writer asks again with more
                cursor.beginString()
                cursor.piece("GET")
                cursor.piece(" ")
                cursor.piece("/pa\"th\n"[...])
                cursor.piece(UInt64(8080))
                cursor.piece(IPAddress("2001:db8::1")!)
                cursor.endString()
            }
            json.field("n", UInt64.max)
            json.key("s")
            json.string("x\ty"[...])
            json.key("ascii")
            json.asciiString(maxLength: 4) { pointer in
                for index in 0..<4 { pointer[index] = UInt8(ascii: "0") + UInt8(index) }
                return 4
            }
            json.key("list")
            json.beginArray(); json.raw("[]"); json.bool(true); json.null(); json.number(0); json.endArray()
            json.endObject()
        }
        #expect(text == #"{"a\"b":"GET /pa\"th\n80802001:db8::1","n":18446744073709551615,"s":"x\ty","ascii":"0123","list":[[],true,null,0]}"#)
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func cursorBlocksRetryUntilTheyFit() throws {
        var random = Bytes(state: 7)
        let long = String(decoding: (0..<100_000).map { _ in random.next() & 0x7F }, as: UTF8.self)
        let headerName = "X-\"Odd\"\u{1}"
        let text = Self.written { json in
            json.beginArray()
            json.write(reserving: 1) { cursor in
                cursor.beginObject()
                cursor.beginObject("outer")
                cursor.field("long", long)
                cursor.field("slice", long.dropFirst(99_990))
                cursor.optional("absent", nil as String?)
                cursor.optional("present", "yes")
                cursor.field("count", UInt64(12_345))
                cursor.field("flag", false)
                cursor.key(escaping: headerName)
                cursor.string(utf8: UnsafeRawBufferPointer(start: nil, count: 0))
                cursor.key("at")
                cursor.timestamp(1_700_000_000_123_456_789)
                cursor.key("ip")
                cursor.address(IPAddress("fe80::1")!)
                cursor.key("id")
                cursor.communityID(SHA1Digest(h0: 1, h1: 2, h2: 3, h3: 4, h4: 5))
                cursor.endObject()
                cursor.endObject()
            }
            json.number(7)
            json.endArray()
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any])
        let outer = try #require((parsed.first as? [String: Any])?["outer"] as? [String: Any])
        #expect(outer["long"] as? String == long)
        #expect(outer["slice"] as? String == String(long.dropFirst(99_990)))
        #expect(outer["absent"] == nil && outer["present"] as? String == "yes")
        #expect(outer["count"] as? Int == 12_345 && outer["flag"] as? Bool == false)
        #expect(outer[headerName] as? String == "")
        #expect(outer["at"] as? String == Timestamp.rfc3339(1_700_000_000_123_456_789))
        #expect(outer["ip"] as? String == "fe80::1")
        #expect(outer["id"] as? String == CommunityID.string(SHA1Digest(h0: 1, h1: 2, h2: 3, h3: 4, h4: 5)))
        #expect(parsed.last as? Int == 7)
    }

    @Test func appendsAfterWhatIsAlreadyThere() {
        var writer = JSONWriter(reservingCapacity: 0)
        writer.output = Array("prefix ".utf8)
        writer.beginArray()
        for index in 0..<1000 { writer.string(String(repeating: "é", count: index % 50)) }
        writer.endArray()
        let expected = "prefix [" + (0..<1000).map { "\"" + String(repeating: "é", count: $0 % 50) + "\"" }
            .joined(separator: ",") + "]"
        #expect(String(decoding: writer.output, as: UTF8.self) == expected)
    }

    @Test func fixedShapeValuesMatchTheirTextForms() {
        var random = Bytes(state: 42)
        func word() -> UInt64 { (0..<8).reduce(0) { value, _ in value << 8 | UInt64(random.next()) } }
        for round in 0..<500 {
            let nanoseconds = round == 0 ? UInt64.max : word()
            #expect(Self.written { $0.timestamp(nanoseconds) } == "\"" + Timestamp.rfc3339(nanoseconds) + "\"")
            // Sparse IPv6 groups, so zero runs of every length and position occur.
            let mask = word()
            let high = word() & (mask & 0xFFFF_0000_FFFF_0000), low = word() & (mask >> 16 | 0xFFFF)
            for address in [IPAddress(ipv4: UInt32(truncatingIfNeeded: word())), IPAddress(ipv6High: high, low: low)] {
                #expect(Self.written { $0.address(address) } == "\"" + address.description + "\"")
            }
            let digest = SHA1Digest(h0: UInt32(truncatingIfNeeded: word()), h1: UInt32(truncatingIfNeeded: word()),
                                    h2: UInt32(truncatingIfNeeded: word()), h3: UInt32(truncatingIfNeeded: word()),
                                    h4: UInt32(truncatingIfNeeded: word()))
            #expect(Self.written { $0.communityID(digest) } == "\"" + CommunityID.string(digest) + "\"")
        }
        for text in ["::", "::1", "1::", "fe80::200:86ff:fe05:80da", "2001:db8:0:1:1:1:1:1", "2001:db8::1:0:0:1",
                     "0.0.0.0", "255.255.255.255"] {
            #expect(Self.written { $0.address(IPAddress(text)!) } == "\"\(text)\"")
        }
    }

    /// Every digit count, both sides of each power of ten.
    @Test func numbersOfEveryLength() {
        var values: [UInt64] = [0, UInt64.max]
        var power: UInt64 = 1
        for _ in 0..<19 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        for value in values {
            #expect(Self.written { $0.number(value) } == String(value))
            #expect(Self.written { $0.write(reserving: 1) { cursor in cursor.number(value) } } == String(value))
        }
    }

    /// What was written between two marks goes out again as a value, with
    /// its comma; a block too small for the copies is retried whole.
    @Test func marksRepeatValues() throws {
        for reserving in [1, 4096] {
            let text = Self.written { json in
                json.write(reserving: reserving) { cursor in
                    cursor.beginObject()
                    cursor.key("name")
                    let name = cursor.mark
                    cursor.string("memcache")
                    let nameEnd = cursor.mark
                    cursor.verbatim(#""side":"#)
                    let side = cursor.mark
                    cursor.verbatim(#"{"ip":"#)
                    cursor.address(IPAddress("2001:db8::1")!)
                    cursor.verbatim(#""port":"#)
                    cursor.number(11211)
                    cursor.verbatim("}")
                    let sideEnd = cursor.mark
                    cursor.key("again")
                    cursor.repeatValue(from: side, to: sideEnd)
                    cursor.key("list")
                    cursor.beginArray()
                    cursor.repeatValue(from: name, to: nameEnd)
                    cursor.repeatValue(from: name, to: nameEnd)
                    cursor.endArray()
                    cursor.endObject()
                }
            }
            let side = #"{"ip":"2001:db8::1","port":11211}"#
            #expect(text == #"{"name":"memcache","side":"# + side + #","again":"# + side + #","list":["memcache","memcache"]}"#)
        }
    }

    /// A community ID rendered ahead (a TCP session's) writes the same text.
    @Test func communityIDTextMatchesTheDigest() {
        var random = Bytes(state: 9)
        func word() -> UInt32 { (0..<4).reduce(0) { value, _ in value << 8 | UInt32(random.next()) } }
        for _ in 0..<200 {
            let digest = SHA1Digest(h0: word(), h1: word(), h2: word(), h3: word(), h4: word())
            let text = CommunityIDText(digest)
            #expect(text.string == CommunityID.string(digest))
            #expect(Self.written { $0.write(reserving: 1) { cursor in cursor.communityID(text) } }
                == "\"" + CommunityID.string(digest) + "\"")
        }
    }
}
