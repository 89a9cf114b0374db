import ScopeDecode

/// gRPC's length-prefixed messages in one direction of a stream (1 byte
/// compressed flag, 4 bytes length, the message): counted as DATA passes,
/// never kept.
public struct GRPCMessageCounter: Equatable, Sendable {
    public var messages: UInt64 = 0
    public var compressed: UInt64 = 0
    /// Message bytes (prefixes excluded), as sent (compressed if so).
    public var bytes: UInt64 = 0
    /// Bytes of the prefix read so far and of the message still to come.
    private var prefixFill = 0
    private var compressedFlag: UInt8 = 0
    private var lengthSoFar: UInt32 = 0
    private var remaining: UInt64 = 0
    /// A gap broke the framing: counts stop.
    private(set) var lost = false

    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard !lost else { return }
        var offset = 0
        while offset < chunk.count {
            if remaining > 0 {
                let take = Int(min(remaining, UInt64(chunk.count &- offset)))
                remaining &-= UInt64(take)
                offset &+= take
                continue
            }
            let byte = chunk[offset]
            offset &+= 1
            if prefixFill == 0 {
                compressedFlag = byte
                lengthSoFar = 0
            } else {
                lengthSoFar = lengthSoFar << 8 | UInt32(byte)
            }
            prefixFill &+= 1
            if prefixFill == 5 {
                prefixFill = 0
                messages &+= 1
                if compressedFlag & 1 != 0 { compressed &+= 1 }
                bytes &+= UInt64(lengthSoFar)
                remaining = UInt64(lengthSoFar)
            }
        }
    }

    /// The stream's bytes were cut: message boundaries are no longer known.
    mutating func loseFraming() { lost = true }

    /// A message begun but not ended (prefix or body).
    var partial: Bool { prefixFill != 0 || remaining != 0 }

    /// `grpc.request` or `grpc.response`'s fields.
    func append(to json: inout JSONCursor, encoding: String?) {
        json.verbatim(#""messages":"#)
        json.number(messages)
        json.verbatim(#""bytes":"#)
        json.number(bytes)
        json.verbatim(#""compressed":"#)
        json.number(compressed)
        if let encoding {
            json.verbatim(#""encoding":"#)
            HTTPJSONText.string(encoding, to: &json)
        }
        if lost { json.field("framing_lost", true) }
    }
}

/// gRPC status codes (grpc/doc/statuscodes.md).
enum GRPCNames {
    static let codes = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
                        "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]

    static func status(_ code: Int) -> String { code >= 0 && code < codes.count ? codes[code] : String(code) }

    /// `grpc-timeout` ("100m", "5S": 1-8 digits and a unit) in nanoseconds.
    static func timeout(_ text: String) -> UInt64? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var value: UInt64 = 0
        for digit in utf8.dropLast() {
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            value = value * 10 + UInt64(digit - 0x30)
        }
        let scale: UInt64
        switch unit {
        case UInt8(ascii: "H"): scale = 3_600_000_000_000
        case UInt8(ascii: "M"): scale = 60_000_000_000
        case UInt8(ascii: "S"): scale = 1_000_000_000
        case UInt8(ascii: "m"): scale = 1_000_000
        case UInt8(ascii: "u"): scale = 1_000
        case UInt8(ascii: "n"): scale = 1
        default: return nil
        }
        return value.multipliedReportingOverflow(by: scale).overflow ? nil : value * scale
    }
}
