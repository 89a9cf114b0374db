/// A parsed DNS message (RFC 1035, EDNS per RFC 6891). Names are in
/// presentation form without the trailing dot ("." for the root).
public struct DNSMessage: Equatable, Sendable {
    public var id: UInt16 = 0
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var authenticData = false
    public var checkingDisabled = false
    /// Header RCODE, extended by the OPT record's upper bits when present.
    public var responseCode: UInt16 = 0
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authorities: [DNSRecord] = []
    /// Additional records other than OPT.
    public var additionals: [DNSRecord] = []
    /// Counts from the header (records beyond `DNSParser.maxRecordsKept` are counted, not kept).
    public var answerCount = 0
    public var authorityCount = 0
    public var additionalCount = 0
    public var opt: DNSOpt?
    /// Message size in bytes (without the TCP length prefix).
    public var size = 0
    /// Bytes after the last record (padding), not part of any record.
    public var trailingBytes = 0
    /// Where parsing stopped at a record that could not be read; the
    /// records before it are kept, the rest of the message is not.
    public var partial: DNSPartial?
    public var time: UInt64 = 0

    public init() {}

    public var question: DNSQuestion? { questions.first }
}

public struct DNSQuestion: Equatable, Sendable {
    public var name: String
    public var type: UInt16
    public var recordClass: UInt16
}

public struct DNSRecord: Equatable, Sendable {
    public var name: String
    public var type: UInt16
    public var recordClass: UInt16
    public var ttl: UInt32
    /// Presentation form of the RDATA ("10 mail.test" for MX, RFC 3597
    /// "\# 4 0a000001" for types without a renderer).
    public var data: String
}

/// The record sections after the question.
public enum DNSSection: CaseIterable, Sendable {
    case answer, authority, additional
}

/// The first record that could not be read: its section and its index
/// there (0-based).
public struct DNSPartial: Equatable, Sendable {
    public var section: DNSSection
    public var record: Int

    /// For the event note, after "query " or "response ": "partially parsed: record 2 of the additional section is malformed".
    var note: String {
        let name = switch section {
        case .answer: "answer"
        case .authority: "authority"
        case .additional: "additional"
        }
        return "partially parsed: record \(record &+ 1) of the \(name) section is malformed"
    }
}

/// EDNS(0) pseudo-record.
public struct DNSOpt: Equatable, Sendable {
    public var udpSize: UInt16
    public var version: UInt8
    public var dnssecOK: Bool
    public var extendedResponseCode: UInt8
}

/// A query and its response; either may be missing (an Error event).
///
/// The two messages live in one immutable box: an event holds its details
/// as `any TransactionDetail`, whose inline buffer is three words, so the
/// two messages inline were copied into a new heap box and the originals
/// destroyed on every transaction; one reference fits. With `let` fields
/// reads borrow in place; setting a side makes a new box.
public struct DNSTransaction: Sendable {
    private var storage: Storage

    public init(request: consuming DNSMessage?, response: consuming DNSMessage?) {
        storage = Storage(request: request, response: response)
    }

    public var request: DNSMessage? {
        _read { yield storage.request }
        set { storage = Storage(request: newValue, response: storage.response) }
    }

    public var response: DNSMessage? {
        _read { yield storage.response }
        set { storage = Storage(request: storage.request, response: newValue) }
    }

    private final class Storage: Sendable {
        let request: DNSMessage?
        let response: DNSMessage?

        init(request: consuming DNSMessage?, response: consuming DNSMessage?) {
            self.request = request
            self.response = response
        }
    }
}

/// Mnemonics for codes (IANA DNS parameters).
enum DNSNames {
    /// The type's IANA mnemonic (`DNSTypeNames`), RFC 3597's "TYPE123" for
    /// unassigned values.
    static func type(_ value: UInt16) -> String {
        DNSTypeNames.mnemonic(value) ?? "TYPE\(value)"
    }

    static func recordClass(_ value: UInt16) -> String {
        switch value & 0x7FFF {  // mDNS borrows the top bit
        case 1: "IN"
        case 3: "CH"
        case 4: "HS"
        case 254: "NONE"
        case 255: "ANY"
        default: "CLASS\(value)"
        }
    }

    static func opcode(_ value: UInt8) -> String {
        switch value {
        case 0: "QUERY"
        case 1: "IQUERY"
        case 2: "STATUS"
        case 4: "NOTIFY"
        case 5: "UPDATE"
        default: "OPCODE\(value)"
        }
    }

    static func responseCode(_ value: UInt16) -> String {
        let names = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
                     "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI"]
        if Int(value) < names.count { return names[Int(value)] }
        switch value {
        case 16: return "BADVERS"
        case 23: return "BADCOOKIE"
        default: return "RCODE\(value)"
        }
    }
}
