@testable import ScopeAnalyzers
import Testing

/// The Certificate message's bounds: a message over the limit is dropped
/// without losing the record layer, a long chain keeps its first ten, and
/// DER swift-certificates refuses keeps its fingerprints.
struct TLSCertificateTests {
    /// A TLS 1.2 ServerHello record.
    static let serverHello12: [UInt8] = [0x16, 0x03, 0x03, 0x00, 0x2A, 0x02, 0x00, 0x00, 0x26, 0x03, 0x03]
        + [UInt8](repeating: 9, count: 32) + [0x00, 0xC0, 0x2F, 0x00]

    static func u24(_ value: Int) -> [UInt8] { [UInt8(value >> 16), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    /// A Certificate handshake message over `certificates`, split into records of at most 16 KiB.
    static func certificateRecords(_ certificates: [[UInt8]]) -> [UInt8] {
        let list = certificates.flatMap { u24($0.count) + $0 }
        let message = [TLSHandshake.certificate] + u24(list.count + 3) + u24(list.count) + list
        var records: [UInt8] = []
        for start in stride(from: 0, to: message.count, by: 16_384) {
            let piece = message[start..<min(start + 16_384, message.count)]
            records += [0x16, 0x03, 0x03, UInt8(piece.count >> 8), UInt8(piece.count & 0xFF)] + piece
        }
        return records
    }

    /// What a server side's reader said: its outputs but the certificates,
    /// and each Certificate message's DERs and omitted count, copied during
    /// the output call (the message's bytes are the reader's).
    struct ServerRead {
        var outputs: [TLSRecordReader.Output] = []
        var chains: [(ders: [[UInt8]], omitted: Int)] = []
        var reader: TLSRecordReader
    }

    /// `bytes` in pieces of `piece` bytes: by default byte by byte, so that
    /// records and the message straddle every boundary.
    static func serverOutputs(_ bytes: [UInt8], limit: Int, piece: Int = 1) -> ServerRead {
        var read = ServerRead(reader: TLSRecordReader(limit: limit, collectsCertificates: true))
        for start in stride(from: 0, to: bytes.count, by: piece) {
            Array(bytes[start..<min(start + piece, bytes.count)]).withUnsafeBytes { chunk in
                read.reader.deliver(chunk, timestamp: 1) { output in
                    guard case .certificates(let body) = output else { return read.outputs.append(output) }
                    var ders: [[UInt8]] = []
                    let omitted = TLSCertificateMessage.forEach(body) { ders.append(Array($0)) }
                    read.chains.append((ders, omitted ?? -1))
                }
            }
        }
        return read
    }

    @Test func anOversizedCertificateMessageIsDroppedAndTheRecordsGoOn() {
        let bytes = Self.serverHello12 + Self.certificateRecords([[UInt8](repeating: 0x30, count: 3_000)])
            + [0x16, 0x03, 0x03, 0x00, 0x04, TLSHandshake.serverHelloDone, 0, 0, 0] + TLSOracleTests.record(20, length: 1)
            + TLSOracleTests.record(23, length: 40)
        for piece in [1, bytes.count] {
            let read = Self.serverOutputs(bytes, limit: 1_024, piece: piece)
            #expect(!read.reader.lost && read.reader.parseErrors == 0 && read.chains.isEmpty)
            #expect(read.outputs.contains { if case .certificatesDropped = $0 { true } else { false } })
            #expect(read.outputs.contains { if case .applicationData = $0 { true } else { false } })
        }
    }

    @Test func aLongChainKeepsTenAndCountsTheRest() throws {
        let chain = (0..<12).map { [UInt8](repeating: UInt8($0), count: 20 + $0) }
        let bytes = Self.serverHello12 + Self.certificateRecords(chain)
        // Byte by byte (the message buffered), in one piece (read where it lies), and cut in two.
        for piece in [1, bytes.count, bytes.count / 2] {
            let read = Self.serverOutputs(bytes, limit: 1 << 16, piece: piece)
            #expect(!read.reader.lost && read.chains.count == 1, "pieces of \(piece)")
            #expect(read.chains.first?.ders == Array(chain.prefix(10)) && read.chains.first?.omitted == 2, "pieces of \(piece)")
        }
        // Not DER: only the fingerprints (of the bytes as they came).
        let certificate = TLSCertificate(der: chain[0])
        #expect(!certificate.parsed && certificate.subject.isEmpty && certificate.sha256.count == 64)
        // FIPS 180's empty-message digests.
        let empty = TLSCertificate(der: [])
        #expect(empty.sha1 == "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")
        #expect(empty.sha256 == "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")
    }

    /// The engine's cache answers what a fresh read answers, and stays
    /// within its entry and byte bounds under a flood of distinct ones.
    @Test func theCertificateCacheIsAFreshReadBounded() {
        let cache = TLSCertificateCache()
        let der = [UInt8](repeating: 0x30, count: 700)
        #expect(cache.certificate(der) == TLSCertificate(der: der) && cache.certificate(der) == TLSCertificate(der: der))
        #expect(cache.count == 1)
        for index in 0..<3_000 {
            let distinct = der + [UInt8(index & 0xFF), UInt8(index >> 8)]
            #expect(cache.certificate(distinct).sha256 == TLSCertificate(der: distinct).sha256)
            #expect(cache.count <= TLSCertificateCache.maxEntries && cache.bytes <= TLSCertificateCache.maxBytes)
        }
        // Large enough to fill the bytes before the entries: the bound counts each DER and its JSON
        // (at 4,129 bytes, the 246th would fit by its DER alone and overflow by its 134 bytes of JSON).
        for index in 0..<600 {
            let large = [UInt8](repeating: 0x30, count: 4_127) + [UInt8(index & 0xFF), UInt8(index >> 8)]
            _ = cache.certificate(large)
            #expect(cache.bytes <= TLSCertificateCache.maxBytes)
        }
        // Same length, same bytes where the slot is taken from: one slot, yet two certificates.
        var twin = der
        twin[350] = 0x31
        #expect(cache.certificate(twin).sha256 == TLSCertificate(der: twin).sha256)
        // Each takes the other's place: the same count and bytes (the one replaced is no longer counted).
        let (count, bytes) = (cache.count, cache.bytes)
        #expect(cache.certificate(der).sha256 == TLSCertificate(der: der).sha256)
        #expect(cache.certificate(twin).sha256 != cache.certificate(der).sha256)
        #expect(cache.count == count && cache.bytes == bytes)
        let huge = [UInt8](repeating: 1, count: TLSCertificateCache.maxBytes)
        #expect(cache.certificate(huge).sha1 == TLSCertificate(der: huge).sha1 && cache.bytes <= TLSCertificateCache.maxBytes)
    }

    /// A message header claiming 60,000 bytes, then 10 of them: the reader
    /// holds room for about what came, not for what was claimed (a header
    /// per connection must not commit the limit's memory).
    @Test func aClaimedLengthIsNotReservedAhead() {
        let claim = [0x16, 0x03, 0x03, 0x40, 0x00, TLSHandshake.certificate] + Self.u24(60_000) + [UInt8](repeating: 0x30, count: 10)
        let read = Self.serverOutputs(Self.serverHello12 + claim, limit: 1 << 16, piece: Self.serverHello12.count + claim.count)
        #expect(!read.reader.lost && read.chains.isEmpty)
        #expect(read.reader.bufferedCapacity >= 14 && read.reader.bufferedCapacity <= 64)
    }

    @Test func aCertificateListThatDoesNotAddUpIsAParseError() {
        // The list claims 10 bytes, the entry inside claims 200.
        let message = [TLSHandshake.certificate] + Self.u24(13) + Self.u24(10) + Self.u24(200) + [UInt8](repeating: 1, count: 7)
        let record = [0x16, 0x03, 0x03, 0x00, UInt8(message.count)] + message
        for piece in [1, Self.serverHello12.count + record.count] {
            let read = Self.serverOutputs(Self.serverHello12 + record, limit: 1 << 16, piece: piece)
            #expect(read.reader.parseErrors == 1 && !read.reader.lost && read.chains.isEmpty)
        }
    }
}

extension TLSCertificateCache {
    /// The tests' DERs are arrays; the sessions look up bytes where they lie.
    func certificate(_ der: [UInt8]) -> TLSCertificate { der.withUnsafeBytes { certificate($0) } }
}
