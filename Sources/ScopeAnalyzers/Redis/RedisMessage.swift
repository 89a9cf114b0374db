/// One complete RESP message of either direction: a command (an array of
/// bulk strings, or an inline line) or a reply/push of any RESP2/RESP3
/// type. Only bounded summaries are kept: the first top-level elements
/// (the command's arguments, a push's kind and channel) and a capped
/// rendering of the whole value.
struct RedisMessage: Equatable {
    /// The type byte of the top-level value (`*`, `+`, `>`, ...); `inline`
    /// for an inline command line.
    var type: UInt8
    /// Top-level elements that are scalars, in order (at most
    /// `RedisLimits.maxElements`, each at most `RedisLimits.maxElementBytes`);
    /// an aggregate element is kept as "" so positions stay right. For a
    /// scalar message, its one value.
    var elements: [String] = []
    /// Top-level elements in all, kept or not.
    var elementCount = 0
    /// Compact text of the whole value ("OK", "[a, b]", "{k: v}"), capped.
    var rendered: [UInt8] = []
    var start: UInt64
    var end: UInt64
    /// Wire bytes of the message.
    var bytes: UInt64 = 0
    /// Gaps absorbed inside bulk values, oversized values skipped.
    var notes: [String] = []

    static let inline: UInt8 = 0x20

    var isError: Bool { type == UInt8(ascii: "-") || type == UInt8(ascii: "!") }
    var isPush: Bool { type == UInt8(ascii: ">") }
    var isAggregate: Bool { RESPType.isAggregate(type) }

    var text: String { String(decoding: rendered, as: UTF8.self) }
    /// The first element lowercased: a push's kind ("message", "subscribe").
    var kind: String? { isAggregate ? elements.first?.lowercased() : nil }
}

/// Bounds of what one message keeps; memory per message is at most
/// maxElements × maxElementBytes plus renderBytes.
enum RedisLimits {
    static let maxElements = 64
    static let maxElementBytes = 512
    static let renderBytes = 1024
    /// Aggregates nested deeper than this are a parse error.
    static let maxDepth = 32
    /// Redis' own `proto-max-bulk-len` ceiling and a sane element count:
    /// larger announcements are garbage, not values to wait for.
    static let maxBulkLength = 512 << 20
    static let maxAggregateCount = Int(Int32.max)
}

/// RESP type bytes (RESP2: `+ - : $ *`; RESP3 adds `_ # , ( ! = % ~ > |`).
enum RESPType {
    static func isSimple(_ type: UInt8) -> Bool {
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "#"),
             UInt8(ascii: ","), UInt8(ascii: "("): true
        default: false
        }
    }

    /// Length-prefixed strings: bulk, blob error, verbatim.
    static func isBlob(_ type: UInt8) -> Bool {
        type == UInt8(ascii: "$") || type == UInt8(ascii: "!") || type == UInt8(ascii: "=")
    }

    static func isAggregate(_ type: UInt8) -> Bool {
        switch type {
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "|"): true
        default: false
        }
    }

    /// Maps and attributes hold key/value pairs: twice the announced count.
    static func isPaired(_ type: UInt8) -> Bool { type == UInt8(ascii: "%") || type == UInt8(ascii: "|") }

    /// Decimal with optional sign; nil on anything else or overflow.
    static func integer(_ digits: UnsafeRawBufferPointer) -> Int? {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var index = 0
        let negative = digits[0] == UInt8(ascii: "-")
        if negative || digits[0] == UInt8(ascii: "+") { index = 1 }
        guard index < digits.count else { return nil }
        var value = 0
        while index < digits.count {
            let digit = Int(digits[index]) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(digit)
            guard !overflowA && !overflowB else { return nil }
            value = sum
            index &+= 1
        }
        return negative ? -value : value
    }
}
