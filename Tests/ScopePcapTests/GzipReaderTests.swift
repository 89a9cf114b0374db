import Foundation
import Testing
import ScopeTestSupport
import ScopeCore
@testable import ScopePcap

/// gzip-compressed captures: recognised by magic, decompressed while
/// reading, identical to the uncompressed file; cut-off or corrupt gzip is a
/// ScopeError, never a trap and never a silently short capture.
@Suite struct GzipReaderTests {
    /// A fixture capture copied into `dir`, and its `gzip -n -c` compression
    /// (-n: no name or time in the header, so the header is 10 fixed bytes).
    static func compressed(_ source: String, in dir: TemporaryDirectory, name: String) throws -> (plain: String, gz: String) {
        let plain = dir.file(name)
        writeBytes(fileBytes(source), to: plain)
        let gz = plain + ".gz"
        let result = try ToolRunner.run(["/bin/sh", "-c", "gzip -n -c \"$0\" > \"$1\"", plain, gz])
        #expect(result.status == 0, "gzip: \(result.stderr)")
        return (plain, gz)
    }

    static var root: String { DPDKScopeBinary.packageRoot }

    static var fixtures: String { root + "/Tests/Fixtures/captures" }

    /// Everything a reader reports, for comparing two readings.
    static func contents(_ path: String) throws -> (format: CaptureFileReader.Format, interfaces: [CaptureInterface],
                                                    packets: [(UInt64, Int, UInt32, [UInt8])]) {
        let (reader, packets) = try ReaderTests.readAll(path)
        #expect(!reader.isTruncated)
        return (reader.format, reader.interfaces,
                packets.map { ($0.0.timestamp, $0.0.interfaceIndex, $0.0.originalLength, $0.1) })
    }

    static func expectSame(_ plain: String, _ gz: String) throws {
        let expected = try contents(plain), actual = try contents(gz)
        #expect(actual.format == expected.format)
        #expect(actual.interfaces == expected.interfaces)
        try #require(actual.packets.count == expected.packets.count && !expected.packets.isEmpty)
        for (a, e) in zip(actual.packets, expected.packets) {
            #expect(a.0 == e.0 && a.1 == e.1 && a.2 == e.2 && a.3 == e.3)
        }
    }

    /// Classic pcap larger than the inflater's input buffer and the reader's
    /// first read (several refills), and a pcapng with several interfaces.
    @Test func compressedCapturesReadLikeTheOriginals() throws {
        let dir = TemporaryDirectory()
        let pcap = try Self.compressed(Self.fixtures + "/redis.pcap", in: dir, name: "redis.pcap")
        #expect(fileBytes(pcap.gz).count > 2 * GzipInflater.inputCapacity)
        try Self.expectSame(pcap.plain, pcap.gz)

        let sample = dir.file("sample.pcapng")
        try WriterOracleTests.writeSample(to: sample)
        let pcapng = try Self.compressed(sample, in: dir, name: "writer.pcapng")
        try Self.expectSame(pcapng.plain, pcapng.gz)
        #expect(try CaptureFileReader(path: pcapng.gz).format == .pcapng)
    }

    /// 256 MiB of capture from a 300 kB .gz: memory stays far below the
    /// decompressed size (it would not if the file were inflated whole).
    @Test func decompressionIsStreamed() throws {
        let dir = TemporaryDirectory()
        let gz = dir.file("big.pcap.gz")
        let script = """
            import struct, sys
            out = sys.stdout.buffer
            out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            record = struct.pack("<IIII", 1700000000, 0, 1514, 1514) + bytes(1514)
            for _ in range((1 << 28) // len(record)): out.write(record)
            """
        let result = try ToolRunner.run(["/bin/sh", "-c", "python3 -c \"$0\" | gzip -1 -n -c > \"$1\"", script, gz])
        #expect(result.status == 0, "\(result.stderr)")
        let before = Self.maximumResidentKilobytes()
        let reader = try CaptureFileReader(path: gz)
        var packets = 0
        while let packet = try reader.next() {
            packets += 1
            #expect(packet.capturedLength == 1514)
        }
        #expect(packets == (1 << 28) / (16 + 1514) && !reader.isTruncated)
        // ru_maxrss is the process's: tests running in parallel raise it too
        // (it once grew 64.1 MiB beside the TLS oracle tests). Inflating the
        // 256 MiB at once would grow it by all of that; streaming stays far below.
        #expect(Self.maximumResidentKilobytes() - before < 160 << 10, "peak memory grew by more than 160 MiB")
    }

    static func maximumResidentKilobytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    /// Detection is by magic: a misleading name does not matter either way.
    @Test func detectedByMagicNotName() throws {
        let dir = TemporaryDirectory()
        let pair = try Self.compressed(Self.fixtures + "/dns.pcap", in: dir, name: "dns.pcap")
        let disguised = dir.file("looks-plain.pcap"), plainNamedGz = dir.file("not-compressed.pcap.gz")
        writeBytes(fileBytes(pair.gz), to: disguised)
        writeBytes(fileBytes(pair.plain), to: plainNamedGz)
        try Self.expectSame(pair.plain, disguised)
        try Self.expectSame(pair.plain, plainNamedGz)
    }

    @Test func compressedNonCaptures() throws {
        let dir = TemporaryDirectory()
        for (content, message) in [("", "decompresses to nothing"), ("hi", "decompresses to too little to be a capture file"),
                                   ("hello world", "is not a pcap or pcapng capture file (after gzip decompression)")] {
            let text = dir.file("text")
            writeBytes(Array(content.utf8), to: text)
            let gz = try Self.compressed(text, in: dir, name: "text.pcap").gz
            let error = #expect(throws: ScopeError.self) { _ = try CaptureFileReader(path: gz) }
            #expect(error?.message == "\(gz) \(message)")
        }
    }

    /// `cat a.gz b.gz` is one stream to gzip -d; here the split falls inside
    /// a packet record.
    @Test func concatenatedMembersAreOneStream() throws {
        let dir = TemporaryDirectory()
        let bytes = fileBytes(Self.fixtures + "/http.pcap")
        let (first, second) = (dir.file("first"), dir.file("second"))
        writeBytes(Array(bytes[..<1001]), to: first)
        writeBytes(Array(bytes[1001...]), to: second)
        let joined = dir.file("joined.pcap.gz")
        let result = try ToolRunner.run(["/bin/sh", "-c", "{ gzip -n -c \"$0\"; gzip -n -c \"$1\"; } > \"$2\"", first, second, joined])
        #expect(result.status == 0)
        let plain = dir.file("http.pcap")
        writeBytes(bytes, to: plain)
        try Self.expectSame(plain, joined)
    }

    /// Reads `bytes` as a file; the error message if reading failed anywhere.
    static func failure(_ bytes: [UInt8], in dir: TemporaryDirectory) -> String? {
        let path = dir.file("damaged.gz")
        writeBytes(bytes, to: path)
        do {
            let reader = try CaptureFileReader(path: path)
            while try reader.next() != nil {}
            return nil
        } catch let error as ScopeError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// Cut anywhere, including inside the 8-byte CRC/length trailer: an
    /// error naming the file as truncated gzip, never a clean short read.
    @Test func truncatedGzipIsAnError() throws {
        let dir = TemporaryDirectory()
        let gz = fileBytes(try Self.compressed(Self.fixtures + "/icmp.pcap", in: dir, name: "icmp.pcap").gz)
        // Under 4 bytes the file is "too short to be a capture file" before any gzip check.
        let cuts = Array(stride(from: 4, to: gz.count, by: 37)) + Array((gz.count - 8)..<gz.count)
        for cut in cuts {
            let message = Self.failure(Array(gz[..<cut]), in: dir)
            #expect(message == "\(dir.file("damaged.gz")): gzip data ends early at compressed offset \(cut) (truncated .gz file?)",
                    "cut at \(cut)")
        }
    }

    @Test func corruptGzipIsAnError() throws {
        let dir = TemporaryDirectory()
        let pair = try Self.compressed(Self.fixtures + "/icmp.pcap", in: dir, name: "icmp.pcap")
        let gz = fileBytes(pair.gz)
        let path = dir.file("damaged.gz")
        var method = gz
        method[2] = 9  // compression method other than deflate
        let methodError = Self.failure(method, in: dir)
        #expect(methodError?.hasPrefix("\(path): corrupt gzip data at compressed offset ") == true)
        #expect(methodError?.hasSuffix(": unknown compression method") == true)
        var checksum = gz
        checksum[gz.count - 6] ^= 0x55  // CRC-32 of the data
        #expect(Self.failure(checksum, in: dir)?.hasSuffix("incorrect data check") == true)
        var garbage = gz
        garbage += [0x42, 0x42, 0x42, 0x42]  // trailing bytes that are no gzip member
        #expect(Self.failure(garbage, in: dir)?.contains("corrupt gzip data") == true)

        // A flipped bit anywhere in the deflate data or trailer is caught (by
        // inflate, the CRC, the length, or the capture parser after them) or
        // changes nothing: deflate has bits no decoder reads (padding, codes
        // of absent symbols). Never a silently different capture.
        var caught = 0
        for position in 10..<gz.count {
            var bytes = gz
            bytes[position] ^= 0x01
            if Self.failure(bytes, in: dir) != nil {
                caught += 1
            } else {
                try Self.expectSame(pair.plain, path)
            }
        }
        #expect(caught * 100 >= (gz.count - 10) * 95, "\(caught) of \(gz.count - 10) flips caught")
    }
}
