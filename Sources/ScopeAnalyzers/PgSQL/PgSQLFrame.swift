/// One message of the PostgreSQL frontend/backend protocol (v3) as framed on
/// the wire: a type byte and a 4-byte big-endian length that counts itself,
/// or, before the startup completes, an untyped length + request code
/// (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest). Only a prefix
/// of the body that the analyzer needs is kept (`body`); the rest is counted.
struct PgSQLFrame {
    /// The type byte; 0 for an untyped startup-phase message.
    var type: UInt8
    /// Untyped messages: the request code (196608 for protocol 3.0).
    var code: UInt32 = 0
    /// Wire bytes, type byte and length included.
    var length: Int
    /// The kept prefix of the body (after the length, or after the code).
    var body: [UInt8] = []
    /// `body` is the whole body (not cut by the keep limit, a gap or the size limit).
    var bodyComplete = true
    /// Longer than `maxMessageSize`: counted and skipped, nothing kept.
    var oversized = false
    /// Bytes of its body were lost in a gap (absorbed: framing is intact).
    var damaged = false
    var start: UInt64
    var end: UInt64

    var isUntyped: Bool { type == 0 }
}

/// Type bytes and request codes of the protocol, named.
enum PgSQLType {
    static let query = UInt8(ascii: "Q"), parse = UInt8(ascii: "P"), bind = UInt8(ascii: "B")
    static let describe = UInt8(ascii: "D"), execute = UInt8(ascii: "E"), close = UInt8(ascii: "C")
    static let sync = UInt8(ascii: "S"), flush = UInt8(ascii: "H"), terminate = UInt8(ascii: "X")
    static let functionCall = UInt8(ascii: "F"), password = UInt8(ascii: "p")
    static let copyData = UInt8(ascii: "d"), copyDone = UInt8(ascii: "c"), copyFail = UInt8(ascii: "f")

    static let authentication = UInt8(ascii: "R"), parameterStatus = UInt8(ascii: "S")
    static let backendKeyData = UInt8(ascii: "K"), readyForQuery = UInt8(ascii: "Z")
    static let rowDescription = UInt8(ascii: "T"), dataRow = UInt8(ascii: "D")
    static let commandComplete = UInt8(ascii: "C"), errorResponse = UInt8(ascii: "E")
    static let noticeResponse = UInt8(ascii: "N"), notificationResponse = UInt8(ascii: "A")
    static let emptyQueryResponse = UInt8(ascii: "I"), parseComplete = UInt8(ascii: "1")
    static let bindComplete = UInt8(ascii: "2"), closeComplete = UInt8(ascii: "3")
    static let noData = UInt8(ascii: "n"), parameterDescription = UInt8(ascii: "t")
    static let portalSuspended = UInt8(ascii: "s"), copyInResponse = UInt8(ascii: "G")
    static let copyOutResponse = UInt8(ascii: "H"), copyBothResponse = UInt8(ascii: "W")
    static let functionCallResponse = UInt8(ascii: "V"), negotiateProtocol = UInt8(ascii: "v")

    static let protocol3: UInt32 = 196_608
    static let sslRequest: UInt32 = 80_877_103
    static let gssEncRequest: UInt32 = 80_877_104
    static let cancelRequest: UInt32 = 80_877_102
    /// The server refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH).
    static let maxStartupLength = 10_000

    /// Whether `length` (self-counting) fits a message of `type` from that
    /// side; unknown types fail, so garbage is found early.
    static func plausible(_ type: UInt8, length: Int, fromClient: Bool) -> Bool {
        guard length >= 4 else { return false }
        if fromClient {
            switch type {
            case sync, flush, terminate, copyDone: return length == 4
            case query, parse, bind, describe, execute, close, functionCall, password, copyData, copyFail: return true
            default: return false
            }
        }
        switch type {
        case parseComplete, bindComplete, closeComplete, noData, emptyQueryResponse, copyDone, portalSuspended:
            return length == 4
        case copyData: return true
        case readyForQuery: return length == 5
        case backendKeyData: return length >= 12
        case authentication: return length >= 8
        case rowDescription, commandComplete, errorResponse, noticeResponse, dataRow, parameterStatus,
             notificationResponse, parameterDescription, copyInResponse, copyOutResponse, copyBothResponse,
             functionCallResponse, negotiateProtocol:
            return length >= 5
        default: return false
        }
    }

    /// Untyped startup-phase request codes (3.x startup, SSL, GSS, cancel).
    static func isStartupCode(_ code: UInt32, length: Int) -> Bool {
        switch code {
        case sslRequest, gssEncRequest: length == 8
        case cancelRequest: length >= 12 && length <= 264
        default: code >> 16 == 3 && length >= 8 && length <= maxStartupLength
        }
    }

    /// Body bytes worth keeping for each type; everything else is skipped
    /// unread (row data, copy data, passwords and SASL payloads).
    static func keepLimit(_ type: UInt8, fromClient: Bool, maxMessage: Int) -> Int {
        if fromClient {
            switch type {
            case query, parse: return maxMessage
            case bind, describe, execute, close: return 256
            default: return 0  // 'p' (passwords, SASL) is never read
            }
        }
        switch type {
        case errorResponse: return 4096
        case commandComplete: return 256
        case rowDescription: return 2
        default: return 0  // ReadyForQuery's status and the authentication request are never looked at
        }
    }
}

extension PgSQLType {
    /// Big-endian 32-bit integer at `offset` (the caller checks the bounds).
    static func uint32<Bytes: RandomAccessCollection>(_ bytes: Bytes, at offset: Int) -> UInt32
    where Bytes.Element == UInt8, Bytes.Index == Int {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset &+ 1]) << 16 | UInt32(bytes[offset &+ 2]) << 8
            | UInt32(bytes[offset &+ 3])
    }
}
