/// One direction of a TLS connection, record by record: record headers
/// may straddle segments, handshake messages may straddle records, and
/// only the hello messages are kept (whole, at most `limit` bytes of
/// handshake buffered). After the hellos and ChangeCipherSpec the side is
/// encrypted: its records are only counted. A gap or bytes that are no TLS record end the
/// parsing of the side (`lost`); nothing after it is guessed.
struct TLSRecordReader {
    enum Output {
        case clientHello(TLSClientHello)
        case serverHello(TLSServerHello)
        /// The first application data record (its time).
        case applicationData(UInt64)
        /// An alert in clear (level, description).
        case alert(UInt8, UInt8)
    }

    private let limit: Int
    private var header: [UInt8] = []
    private var recordType: UInt8 = 0
    private var recordRemaining = 0
    private var handshake: [UInt8] = []
    private var alertBytes: [UInt8] = []
    private(set) var encrypted = false
    private(set) var lost = false
    private(set) var sawApplicationData = false
    /// Hellos parsed from this side; after one, later handshake bytes are skipped.
    private var helloDone = false
    private(set) var parseErrors: UInt64 = 0

    init(limit: Int) {
        self.limit = limit
        header.reserveCapacity(5)
    }

    /// Bytes of this side, in order; what they complete goes to `output`.
    mutating func deliver(_ bytes: UnsafeRawBufferPointer, timestamp: UInt64, _ output: (Output) -> Void) {
        var offset = 0
        while offset < bytes.count, !lost {
            if recordRemaining == 0 {
                let take = min(5 &- header.count, bytes.count &- offset)
                header.append(contentsOf: bytes[offset..<(offset &+ take)])
                offset &+= take
                guard header.count == 5 else { return }
                guard (20...24).contains(header[0]), header[1] == 3, header[2] <= 4 else { return loseSync() }
                recordType = header[0]
                recordRemaining = Int(header[3]) << 8 | Int(header[4])
                header.removeAll(keepingCapacity: true)
                // An encrypted record may carry up to 2^14 + 2048 bytes; anything longer is no TLS.
                guard recordRemaining <= 18_432 else { return loseSync() }
                // After the hellos, ChangeCipherSpec starts encryption (TLS ≤ 1.2). Before them it is
                // TLS 1.3's compatibility record after a HelloRetryRequest: the ServerHello still follows in clear.
                if recordType == TLSRecord.changeCipherSpec && helloDone { encrypted = true }
                if recordType == TLSRecord.applicationData && !sawApplicationData {
                    sawApplicationData = true
                    output(.applicationData(timestamp))
                }
                continue
            }
            let take = min(recordRemaining, bytes.count &- offset)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ take)])
            offset &+= take
            recordRemaining &-= take
            switch recordType {
            case TLSRecord.handshake where !encrypted && !helloDone:
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

    /// Bytes of this side are lost: parsing ends here.
    mutating func gap() { loseSync() }

    private mutating func loseSync() {
        lost = true
        header.removeAll()
        handshake.removeAll()
    }

    private mutating func handshakeBytes(_ piece: UnsafeRawBufferPointer, timestamp: UInt64, _ output: (Output) -> Void) {
        guard handshake.count &+ piece.count <= limit else {
            parseErrors &+= 1
            return loseSync()
        }
        handshake.append(contentsOf: piece)
        while handshake.count >= 4, !helloDone {
            let length = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
            guard length <= limit else {
                parseErrors &+= 1
                return loseSync()
            }
            guard handshake.count >= 4 &+ length else { return }
            let type = handshake[0]
            let parsed: Output? = handshake.withUnsafeBytes { all in
                var parser = TLSHelloParser(UnsafeRawBufferPointer(rebasing: all[4..<(4 &+ length)]))
                switch type {
                case TLSHandshake.clientHello: return parser.clientHello().map { var hello = $0; hello.time = timestamp; return .clientHello(hello) }
                case TLSHandshake.serverHello: return parser.serverHello().map { var hello = $0; hello.time = timestamp; return .serverHello(hello) }
                default: return nil
                }
            }
            handshake.removeFirst(4 &+ length)
            if type == TLSHandshake.clientHello || type == TLSHandshake.serverHello {
                guard let parsed else {
                    parseErrors &+= 1
                    return loseSync()
                }
                if case .serverHello(let hello) = parsed, hello.isRetryRequest {
                    output(parsed)  // another ClientHello and ServerHello follow
                } else {
                    helloDone = true
                    handshake.removeAll()
                    output(parsed)
                }
            }
        }
    }
}
