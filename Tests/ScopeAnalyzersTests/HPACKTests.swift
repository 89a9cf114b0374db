@testable import ScopeAnalyzers
import Testing

/// RFC 7541 Appendix C, every example: the bytes typed in from the RFC,
/// the header lists and dynamic tables it prints after each block.
@Suite struct HPACKTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    static func decode(_ decoder: inout HPACKDecoder, _ hex: String) -> [String]? {
        var fields: [String] = []
        let ok = bytes(hex).withUnsafeBytes { block in
            decoder.decode(block) { fields.append(String(decoding: $0, as: UTF8.self) + ": " + String(decoding: $1, as: UTF8.self)) }
        }
        return ok ? fields : nil
    }

    static func table(_ decoder: HPACKDecoder) -> [String] {
        (1...max(1, decoder.dynamicCount)).compactMap { decoder.dynamicEntry($0).map { "\($0.name): \($0.value)" } }
    }

    @Test("C.2.1 literal with indexing")
    func literalIndexed() {
        var decoder = HPACKDecoder()
        #expect(Self.decode(&decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572") == ["custom-key: custom-header"])
        #expect(Self.table(decoder) == ["custom-key: custom-header"])
        #expect(decoder.tableBytes == 55)
    }

    @Test("C.2.2 literal without indexing, C.2.3 never indexed, C.2.4 indexed")
    func literalNotIndexed() {
        var decoder = HPACKDecoder()
        #expect(Self.decode(&decoder, "040c 2f73 616d 706c 652f 7061 7468") == [":path: /sample/path"])
        #expect(decoder.dynamicCount == 0)
        #expect(Self.decode(&decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74") == ["password: secret"])
        #expect(decoder.dynamicCount == 0)
        #expect(Self.decode(&decoder, "82") == [":method: GET"])
        #expect(decoder.tableBytes == 0)
    }

    static let requests = [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"]
    static let secondRequest = requests + ["cache-control: no-cache"]
    static let thirdRequest = [":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com",
                               "custom-key: custom-value"]

    func checkRequests(_ blocks: [String]) {
        var decoder = HPACKDecoder()
        #expect(Self.decode(&decoder, blocks[0]) == Self.requests)
        #expect(Self.table(decoder) == [":authority: www.example.com"])
        #expect(decoder.tableBytes == 57)
        #expect(Self.decode(&decoder, blocks[1]) == Self.secondRequest)
        #expect(Self.table(decoder) == ["cache-control: no-cache", ":authority: www.example.com"])
        #expect(decoder.tableBytes == 110)
        #expect(Self.decode(&decoder, blocks[2]) == Self.thirdRequest)
        #expect(Self.table(decoder) == ["custom-key: custom-value", "cache-control: no-cache", ":authority: www.example.com"])
        #expect(decoder.tableBytes == 164)
    }

    @Test("C.3 requests without Huffman coding")
    func requestsPlain() {
        checkRequests(["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                       "8286 84be 5808 6e6f 2d63 6163 6865",
                       "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"])
    }

    @Test("C.4 requests with Huffman coding")
    func requestsHuffman() {
        checkRequests(["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                       "8286 84be 5886 a8eb 1064 9cbf",
                       "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"])
    }

    static let date1 = "date: Mon, 21 Oct 2013 20:13:21 GMT"
    static let date2 = "date: Mon, 21 Oct 2013 20:13:22 GMT"
    static let location = "location: https://www.example.com"
    static let cookie = "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"

    func checkResponses(_ blocks: [String]) {
        var decoder = HPACKDecoder(tableSize: 256)
        #expect(Self.decode(&decoder, blocks[0]) == [":status: 302", "cache-control: private", Self.date1, Self.location])
        #expect(Self.table(decoder) == [Self.location, Self.date1, "cache-control: private", ":status: 302"])
        #expect(decoder.tableBytes == 222)
        #expect(Self.decode(&decoder, blocks[1]) == [":status: 307", "cache-control: private", Self.date1, Self.location])
        #expect(Self.table(decoder) == [":status: 307", Self.location, Self.date1, "cache-control: private"])
        #expect(decoder.tableBytes == 222)
        #expect(Self.decode(&decoder, blocks[2]) == [":status: 200", "cache-control: private", Self.date2, Self.location,
                                                     "content-encoding: gzip", Self.cookie])
        #expect(Self.table(decoder) == [Self.cookie, "content-encoding: gzip", Self.date2])
        #expect(decoder.tableBytes == 215)
    }

    @Test("C.5 responses without Huffman coding (table size 256)")
    func responsesPlain() {
        checkResponses([
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "4803 3330 37c1 c0bf",
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
        ])
    }

    @Test("C.6 responses with Huffman coding (table size 256)")
    func responsesHuffman() {
        checkResponses([
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
            "4883 640e ffc1 c0bf",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ])
    }

    /// Canonical codes from RFC 7541 Appendix B's lengths, packed MSB first
    /// and padded with ones: the test's own encoder.
    static func huffmanEncode(_ text: [UInt8]) -> [UInt8] {
        var code = [UInt32](repeating: 0, count: 257)
        var next: UInt32 = 0
        for length in 1...30 {
            for symbol in 0..<257 where Int(HPACKHuffman.lengths[symbol]) == length {
                code[symbol] = next
                next += 1
            }
            next <<= 1
        }
        var bytes: [UInt8] = []
        var (buffer, count): (UInt64, Int) = (0, 0)
        for byte in text {
            let length = Int(HPACKHuffman.lengths[Int(byte)])
            buffer = buffer << UInt64(length) | UInt64(code[Int(byte)])
            count += length
            while count >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt64(count - 8)))
                count -= 8
            }
        }
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer << UInt64(8 - count)) | UInt8(0xFF >> count)) }
        return bytes
    }

    @Test("Huffman: every symbol, at every bit offset, in strings of every length up to 40")
    func huffmanEverySymbol() {
        // Appendix B's codes for a few symbols, as a check of the test's encoder.
        #expect(Self.huffmanEncode(Array("a".utf8)) == [0x1F])
        #expect(Self.huffmanEncode([0]) == [0xFF, 0xC7])  // 0x1ff8, 13 bits
        for shift in 0..<8 {
            let prefix = [UInt8](repeating: UInt8(ascii: "0"), count: shift)  // 5 bits each: every offset mod 8
            for symbol in 0...255 {
                let text = prefix + [UInt8(symbol)] + Array("ok".utf8)
                var output: [UInt8] = []
                let encoded = Self.huffmanEncode(text)
                #expect(encoded.withUnsafeBytes { HPACKHuffman.decode($0, into: &output) } && output == text, "\(symbol) \(shift)")
            }
        }
        var text: [UInt8] = []
        for length in 0...40 {
            var output: [UInt8] = []
            #expect(Self.huffmanEncode(text).withUnsafeBytes { HPACKHuffman.decode($0, into: &output) } && output == text)
            text.append(UInt8(truncatingIfNeeded: length &* 97 &+ 13))
        }
    }

    @Test("Huffman memo: hits and misses decode as HPACKHuffman does; invalid codes and long strings are never kept")
    func huffmanMemo() {
        let memo = HPACKHuffmanMemo()
        // More distinct strings than slots, lengths across the kept limit, one invalid code of a kept length.
        var inputs: [[UInt8]] = (0..<12).map { index in
            Self.huffmanEncode((0..<(index &* 5)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
        }
        inputs.append([0x18])
        inputs.append([0x1F, 0xFF])
        for round in 0..<3 {
            for input in inputs + inputs.reversed() {
                var expected: [UInt8] = []
                let valid = input.withUnsafeBytes { HPACKHuffman.decode($0, into: &expected) }
                let output = UnsafeMutablePointer<UInt8>.allocate(capacity: input.count &* 8 / 5 &+ 1)
                defer { output.deallocate() }
                let written = input.withUnsafeBytes { memo.decode($0, into: output) }
                #expect(written.map { Array(UnsafeBufferPointer(start: output, count: $0)) } == (valid ? expected : nil),
                        "round \(round), \(input.count) coded bytes")
            }
        }
        // A literal name and value both Huffman-coded, repeated: the value's decoding may take the name's slot.
        var decoder = HPACKDecoder()
        let name = Self.huffmanEncode(Array("x-name".utf8)), value = Self.huffmanEncode(Array("some value".utf8))
        var block: [UInt8] = []
        for _ in 0..<20 { block += [0x00, 0x80 | UInt8(name.count)] + name + [0x80 | UInt8(value.count)] + value }
        let fields = Self.decode(&decoder, block.map { String($0 >> 4, radix: 16) + String($0 & 0x0F, radix: 16) }.joined())
        #expect(fields == Array(repeating: "x-name: some value", count: 20))
    }

    @Test("Huffman: EOS inside, long or non-one padding are errors")
    func huffmanErrors() {
        var output: [UInt8] = []
        // "a" is 00011 (5 bits): padded with 111 it is 0x1F; with 000 it is invalid.
        #expect([UInt8]([0x1F]).withUnsafeBytes { HPACKHuffman.decode($0, into: &output) } && output == [UInt8(ascii: "a")])
        output = []
        #expect(![UInt8]([0x18]).withUnsafeBytes { HPACKHuffman.decode($0, into: &output) })
        // Eight bits of padding (a whole 0xFF byte after a full symbol) is too long.
        #expect(![UInt8]([0x1F, 0xFF]).withUnsafeBytes { HPACKHuffman.decode($0, into: &output) })
        // EOS (30 ones) inside the string.
        #expect(![UInt8]([0xFF, 0xFF, 0xFF, 0xFF]).withUnsafeBytes { HPACKHuffman.decode($0, into: &output) })
    }

    @Test("a desynchronised decoder counts unknown references and goes on")
    func desynchronised() {
        var decoder = HPACKDecoder()
        // Index 62 with nothing in the table: malformed for a decoder that saw everything.
        #expect(Self.decode(&decoder, "be") == nil)
        decoder = HPACKDecoder()
        decoder.desynchronise()
        #expect(Self.decode(&decoder, "82 be 84") == [":method: GET", ":path: /"])
        #expect(decoder.lostFields == 1)
        // Entries added after the loss are known.
        #expect(Self.decode(&decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572 be bf") == [
            "custom-key: custom-header", "custom-key: custom-header"])
        #expect(decoder.lostFields == 2)
    }

    @Test("a table-size bomb keeps memory at the limit and counts what it evicted early")
    func tableSizeBomb() {
        var decoder = HPACKDecoder(memoryLimit: 4096, tableSize: 1 << 30)
        var block = HPACKTests.bytes("3f e1 ff ff 03")  // size update to 2^23 + 30 (accepted, capped in memory)
        let value = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<100 { block += [0x40, 0x01, 0x78, 0x7F, 0xE9, 0x06] + value }  // x: 1000 × "a", indexed
        var count = 0
        let ok = block.withUnsafeBytes { decoder.decode($0) { _, _ in count += 1 } }
        #expect(ok && count == 100)
        #expect(decoder.tableBytes <= 4096 && decoder.dynamicCount == 3)
        // Storage within twice the live bytes plus one entry, and 4 KiB.
        #expect(decoder.tableStorageBytes <= 2 * (4096 + 1032) + 4096, "\(decoder.tableStorageBytes)")
        // The peer still has entry 10; this decoder does not: counted, not a failure.
        #expect(Self.decode(&decoder, "c7") == [])
        #expect(decoder.lostFields == 1)
    }

    @Test("the dynamic table stays right through thousands of inserts and evictions")
    func manyEvictions() {
        // Entries of varied sizes (43 to 141 bytes) through a 4096-byte table:
        // the evicted front of the entries and of their bytes is dropped many times.
        func decode(_ decoder: inout HPACKDecoder, _ block: [UInt8]) -> [String]? {
            var fields: [String] = []
            let ok = block.withUnsafeBytes { decoder.decode($0) { fields.append(String(decoding: $0, as: UTF8.self) + ": " + String(decoding: $1, as: UTF8.self)) } }
            return ok ? fields : nil
        }
        var decoder = HPACKDecoder()
        var added: [String] = []
        for round in 0..<3000 {
            let name = Array("x-key-\(round % 7)".utf8), value = Array((String(repeating: "v", count: round % 96) + "\(round)").utf8)
            // A literal with incremental indexing and a new name, both raw (under 127 bytes).
            #expect(decode(&decoder, [0x40, UInt8(name.count)] + name + [UInt8(value.count)] + value)
                    == [String(decoding: name, as: UTF8.self) + ": " + String(decoding: value, as: UTF8.self)])
            added.append(String(decoding: name, as: UTF8.self) + ": " + String(decoding: value, as: UTF8.self))
            // The oldest entry still in the table, by its index.
            let oldest = 61 + decoder.dynamicCount
            let indexed: [UInt8] = oldest < 127 ? [0x80 | UInt8(oldest)] : [0xFF, UInt8(oldest - 127)]
            #expect(decode(&decoder, indexed) == [added[added.count - decoder.dynamicCount]])
        }
        #expect(decoder.dynamicCount > 20)
        #expect(Self.table(decoder) == Array(added.suffix(decoder.dynamicCount).reversed()))
        #expect(decoder.tableBytes == added.suffix(decoder.dynamicCount).reduce(0) { $0 + $1.utf8.count - 2 + 32 })
        #expect(decoder.lostFields == 0)
        // The evicted room is reused: storage stays near the table's size.
        #expect(decoder.tableStorageBytes <= 2 * (4096 + 141) + 4096, "\(decoder.tableStorageBytes)")
    }
}
