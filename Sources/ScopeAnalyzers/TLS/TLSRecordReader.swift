/// One direction of a TLS connection, record by record: record headers
/// may straddle segments, handshake messages may straddle records, and
/// only the hello messages and the server's Certificate message are read
/// (whole: where they lie when the bytes at hand hold one, else buffered,
/// at most `limit` bytes). After the hellos and ChangeCipherSpec the side
/// is encrypted: its records are only counted. A gap or bytes that are no
/// TLS record end the parsing of the side (`lost`); nothing after it is
/// guessed.
struct TLSRecordReader {
    enum Output {
        case clientHello(TLSClientHello)
        case serverHello(TLSServerHello)
        /// An application data record (encrypted): its time, length, and
        /// where its header starts in this side's bytes.
        case applicationData(UInt64, length: Int, start: UInt64)
        /// An alert in clear (level, description).
        case alert(UInt8, UInt8)
        /// The body of the server's Certificate message (TLS ≤ 1.2), its
        /// lengths checked (`TLSCertificateMessage`). The bytes are the
        /// caller's: valid only during the output call.
        case certificates(UnsafeRawBufferPointer)
        /// A Certificate message longer than the limit, not kept.
        case certificatesDropped
    }

    private let limit: Int
    /// The server's side reads its Certificate message too.
    private let collectsCertificates: Bool
    private var certificatesDone = false
    private var header: [UInt8] = []
    private var recordType: UInt8 = 0
    private var recordRemaining = 0
    private var handshake: [UInt8] = []
    private var alertBytes: [UInt8] = []
    private(set) var encrypted = false
    private(set) var lost = false
    private(set) var sawApplicationData = false
    /// Bytes of this side delivered so far.
    private var consumed: UInt64 = 0
    /// Hellos parsed from this side; after one, later handshake bytes are skipped.
    private var helloDone = false
    private(set) var parseErrors: UInt64 = 0

    init(limit: Int, collectsCertificates: Bool = false) {
        self.limit = limit
        self.collectsCertificates = collectsCertificates
        header.reserveCapacity(5)
    }

    /// Bytes of this side, in order; what they complete goes to `output`.
    mutating func deliver(_ bytes: UnsafeRawBufferPointer, timestamp: UInt64, _ output: (Output) -> Void) {
        let base = consumed
        consumed &+= UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count, !lost {
            if recordRemaining == 0 {
                let type, major, minor: UInt8
                let length: Int
                if header.isEmpty, bytes.count &- offset >= 5 {
                    // The usual case: the whole header in these bytes, read where it lies.
                    (type, major, minor) = (bytes[offset], bytes[offset &+ 1], bytes[offset &+ 2])
                    length = Int(bytes[offset &+ 3]) << 8 | Int(bytes[offset &+ 4])
                    offset &+= 5
                } else {
                    let take = min(5 &- header.count, bytes.count &- offset)
                    header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ take)]))
                    offset &+= take
                    guard header.count == 5 else { return }
                    (type, major, minor) = (header[0], header[1], header[2])
                    length = Int(header[3]) << 8 | Int(header[4])
                    header.removeAll(keepingCapacity: true)
                }
                guard (20...24).contains(type), major == 3, minor <= 4 else { return loseSync() }
                recordType = type
                recordRemaining = length
                // An encrypted record may carry up to 2^14 + 2048 bytes; anything longer is no TLS.
                guard recordRemaining <= 18_432 else { return loseSync() }
                // After the hellos, ChangeCipherSpec starts encryption (TLS ≤ 1.2). Before them it is
                // TLS 1.3's compatibility record after a HelloRetryRequest: the ServerHello still follows in clear.
                if recordType == TLSRecord.changeCipherSpec && helloDone { encrypted = true }
                if recordType == TLSRecord.applicationData {
                    sawApplicationData = true
                    output(.applicationData(timestamp, length: recordRemaining, start: base &+ UInt64(offset) &- 5))
                }
                continue
            }
            let take = min(recordRemaining, bytes.count &- offset)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ take)])
            offset &+= take
            recordRemaining &-= take
            switch recordType {
            case TLSRecord.handshake where !encrypted && readsHandshake:
                handshakeBytes(piece, timestamp: timestamp, output)
            case TLSRecord.alert where !encrypted:
                alertBytes.append(contentsOf: piece)
                if alertBytes.count >= 2 {
                    output(.alert(alertBytes[0], alertBytes[1]))
                    alertBytes.removeAll()
                }
            default:
                break
            }
        }
    }

    /// The room the message being completed holds (for the tests' bound).
    var bufferedCapacity: Int { handshake.capacity }

    /// Bytes of this side are lost: parsing ends here.
    mutating func gap() { loseSync() }

    private mutating func loseSync() {
        lost = true
        header.removeAll()
        handshake.removeAll()
    }

    /// Handshake messages of this side still read: the hellos, then (server
    /// side, TLS ≤ 1.2) up to the Certificate message or ServerHelloDone.
    private var readsHandshake: Bool { !helloDone || (collectsCertificates && !certificatesDone) }

    /// Handshake bytes, one message at a time: a message whose header and
    /// body are all in `piece` is read where it lies; only a message split
    /// across records or segments is buffered, at most `limit` bytes of it.
    private mutating func handshakeBytes(_ piece: UnsafeRawBufferPointer, timestamp: UInt64, _ output: (Output) -> Void) {
        var offset = 0
        while offset < piece.count, readsHandshake, !lost {
            if handshake.isEmpty, piece.count &- offset >= 4 {
                let length = Self.messageLength(UnsafeRawBufferPointer(rebasing: piece[offset..<(offset &+ 4)]))
                guard length <= limit else { return overLimit(type: piece[offset], output) }
                let end = offset &+ 4 &+ length
                if end <= piece.count {
                    message(UnsafeRawBufferPointer(rebasing: piece[offset..<end]), timestamp: timestamp, output)
                    offset = end
                    continue
                }
                // Room for the whole message, up to twice what came: a header
                // alone must not commit the limit's memory.
                handshake.reserveCapacity(min(4 &+ length, 2 &* (piece.count &- offset)))
            }
            var needed = 4 &- handshake.count
            if handshake.count >= 4 { needed = 4 &+ bufferedLength &- handshake.count }
            let take = min(needed, piece.count &- offset)
            handshake.append(contentsOf: UnsafeRawBufferPointer(rebasing: piece[offset..<(offset &+ take)]))
            offset &+= take
            guard handshake.count >= 4 else { return }
            guard bufferedLength <= limit else { return overLimit(type: handshake[0], output) }
            guard handshake.count == 4 &+ bufferedLength else { continue }
            // Storage freed, not kept: an idle connection after a large hello
            // or chain must not hold up to 64 KiB per side until it closes.
            let whole = handshake
            handshake = []
            whole.withUnsafeBytes { message($0, timestamp: timestamp, output) }
        }
    }

    /// The body length in a handshake message's 4-byte header.
    private static func messageLength(_ header: UnsafeRawBufferPointer) -> Int {
        Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
    }

    private var bufferedLength: Int { handshake.withUnsafeBytes(Self.messageLength) }

    /// One whole handshake message, its 4-byte header included.
    private mutating func message(_ whole: UnsafeRawBufferPointer, timestamp: UInt64, _ output: (Output) -> Void) {
        let type = whole[0]
        let body = UnsafeRawBufferPointer(rebasing: whole[4...])
        if helloDone {
            // After the ServerHello: the Certificate message; others are skipped up to ServerHelloDone.
            if type == TLSHandshake.certificate {
                certificatesDone = true
                if TLSCertificateMessage.isWellFormed(body) { output(.certificates(body)) } else { parseErrors &+= 1 }
            }
            if type == TLSHandshake.serverHelloDone { certificatesDone = true }
            return
        }
        guard type == TLSHandshake.clientHello || type == TLSHandshake.serverHello else { return }
        var parser = TLSHelloParser(body)
        let parsed: Output?
        if type == TLSHandshake.clientHello {
            parsed = parser.clientHello().map { var hello = $0; hello.time = timestamp; return .clientHello(hello) }
        } else {
            parsed = parser.serverHello().map { var hello = $0; hello.time = timestamp; return .serverHello(hello) }
        }
        guard let parsed else {
            parseErrors &+= 1
            return loseSync()
        }
        if case .serverHello(let hello) = parsed {
            guard !hello.isRetryRequest else { return output(parsed) }  // another ClientHello and ServerHello follow
            // TLS 1.3 encrypts the certificate: nothing more to read in clear.
            if hello.version >= 0x0304 { certificatesDone = true }
        }
        helloDone = true
        output(parsed)
    }

    /// A handshake message longer than the limit: a hello ends the parsing
    /// of the side; a later message (a long certificate chain) is dropped,
    /// counted, and the rest of the handshake is no longer read.
    private mutating func overLimit(type: UInt8?, _ output: (Output) -> Void) {
        guard helloDone else {
            parseErrors &+= 1
            return loseSync()
        }
        if type == TLSHandshake.certificate { output(.certificatesDropped) }
        certificatesDone = true
        handshake.removeAll()
    }
}

/// The Certificate message of TLS ≤ 1.2: a 3-byte length, then each
/// certificate's DER behind its own 3-byte length. The first `maximum`
/// certificates are read where they lie; the rest are counted.
enum TLSCertificateMessage {
    static let maximum = 10

    /// Calls `each` with the DER of each of the first `maximum` certificates,
    /// in order, and returns how many more there were; nil, when the lengths
    /// do not add up, after calling `each` for those read before the fault.
    static func forEach(_ body: UnsafeRawBufferPointer, _ each: (UnsafeRawBufferPointer) -> Void) -> Int? {
        var reader = TLSBytes(body)
        guard let high = reader.u8(), let low = reader.u16(), var list = reader.sub(Int(high) << 16 | Int(low)) else { return nil }
        var (kept, omitted) = (0, 0)
        while list.remaining > 0 {
            guard let high = list.u8(), let low = list.u16(), let der = list.slice(Int(high) << 16 | Int(low)) else { return nil }
            if kept < maximum {
                each(der)
                kept &+= 1
            } else {
                omitted &+= 1
            }
        }
        return omitted
    }

    /// Whether the lengths add up (what `forEach` would return non-nil for).
    static func isWellFormed(_ body: UnsafeRawBufferPointer) -> Bool { forEach(body) { _ in } != nil }
}
