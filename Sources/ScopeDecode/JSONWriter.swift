/// Minimal streaming JSON writer into a byte buffer. Commas are inserted
/// automatically; strings are escaped per RFC 8259 (quote, backslash and all
/// control characters; everything else passes through as UTF-8).
///
/// The bytes are written through a `JSONCursor` into capacity reserved
/// once per call (or once per `write(reserving:_:)` block, for a whole
/// event): one capacity check per block instead of one per byte.
public struct JSONWriter: Sendable {
    public var output: [UInt8]
    private var needsComma = false

    public init(reservingCapacity capacity: Int = 512) {
        output = []
        output.reserveCapacity(capacity)
    }

    /// A writer that continues `output` (left empty until the writer's
    /// `output` is swapped back): no copy of the buffer and no reservation,
    /// for a caller that appends one event to a long-lived buffer.
    public init(continuing output: inout [UInt8]) {
        self.output = []
        swap(&self.output, &output)
    }

    /// Runs `body` on a cursor over `reserving` bytes of spare capacity and
    /// keeps what it wrote. A body that needs more is run again on twice the
    /// space (it must only write), so the estimate only affects speed.
    public mutating func write(reserving estimate: Int, _ body: (inout JSONCursor) -> Void) {
        var space = max(64, estimate)
        var comma = needsComma
        while true {
            var overflowed = false
            output.append(addingCapacity: space) { span in
                span.withUnsafeMutableBufferPointer { buffer, initialized in
                    guard let base = buffer.baseAddress else { return overflowed = true }
                    var cursor = JSONCursor(base, count: buffer.count, needsComma: comma)
                    body(&cursor)
                    overflowed = cursor.overflowed
                    guard !overflowed else { return }
                    initialized = cursor.written
                    comma = cursor.needsComma
                }
            }
            guard overflowed else { break }
            space = space.multipliedReportingOverflow(by: 2).overflow ? .max : space * 2
        }
        needsComma = comma
    }

    public mutating func beginObject() { write(reserving: 2) { $0.beginObject() } }
    public mutating func endObject() { write(reserving: 1) { $0.endObject() } }
    public mutating func beginArray() { write(reserving: 2) { $0.beginArray() } }
    public mutating func endArray() { write(reserving: 1) { $0.endArray() } }

    public mutating func key(_ name: String) {
        write(reserving: Self.limit(name) &+ 2) { $0.key(escaping: name) }
    }

    public mutating func string(_ value: String) {
        write(reserving: Self.limit(value)) { $0.string(value) }
    }

    public mutating func string(_ value: Substring) {
        write(reserving: Self.limit(value)) { $0.string(value) }
    }

    /// A string given as UTF-8 bytes (e.g. rendered addresses). ASCII goes
    /// straight through; anything else is validated and ill-formed
    /// sequences become U+FFFD, so the output is always valid JSON.
    public mutating func string(utf8 value: [UInt8]) {
        value.withUnsafeBytes { string(utf8: $0) }
    }

    /// The same for bytes still in a packet or parser buffer: no String is
    /// made unless the bytes are ill-formed and need repairing.
    public mutating func string(utf8 value: UnsafeRawBufferPointer) {
        write(reserving: value.count <= 64 ? value.count &* 6 &+ 3 : value.count + value.count / 4 + 16) {
            $0.string(utf8: value)
        }
    }

    /// A string value produced straight into the output by `body`, which
    /// must append only ASCII that needs no escaping (digits, addresses,
    /// timestamps, base64): no intermediate buffer.
    public mutating func asciiString(_ body: (inout [UInt8]) -> Void) {
        if needsComma { output.append(UInt8(ascii: ",")) }
        output.append(UInt8(ascii: "\""))
        body(&output)
        output.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// The same through a pointer: `body` writes at most `maxLength` bytes
    /// of ASCII that needs no escaping and returns how many it wrote.
    public mutating func asciiString(maxLength: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        write(reserving: max(0, maxLength) &+ 3) { $0.asciiString(maxLength: maxLength, body) }
    }

    /// Pre-rendered JSON (a literal array or object) as the next value.
    public mutating func raw(_ json: StaticString) {
        write(reserving: json.utf8CodeUnitCount &+ 1) { $0.raw(json) }
    }

    /// JSON rendered earlier by another `JSONWriter` (its `output`): one
    /// value, or members of the object open here. Nothing for empty bytes.
    /// For fragments that repeat from event to event (a certificate's
    /// fields): rendered once, copied after.
    public mutating func rendered(_ json: [UInt8]) {
        guard !json.isEmpty else { return }
        if needsComma { output.append(UInt8(ascii: ",")) }
        output.append(contentsOf: json)
        needsComma = true
    }

    public mutating func number(_ value: UInt64) {
        write(reserving: 21) { $0.number(value) }
    }

    public mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    public mutating func null() {
        raw("null")
    }

    /// Convenience: `"name":"value"`.
    public mutating func field(_ name: String, _ value: String) {
        write(reserving: Self.limit(name) &+ Self.limit(value) &+ 2) { cursor in
            cursor.key(escaping: name)
            cursor.string(value)
        }
    }

    public mutating func field(_ name: String, _ value: UInt64) {
        write(reserving: Self.limit(name) &+ 22) { cursor in
            cursor.key(escaping: name)
            cursor.number(value)
        }
    }

    /// RFC 3339 UTC with nanoseconds, as `Timestamp.rfc3339`.
    public mutating func timestamp(_ nanoseconds: UInt64) {
        write(reserving: 33) { $0.timestamp(nanoseconds) }
    }

    /// As `IPAddress.description`.
    public mutating func address(_ address: IPAddress) {
        write(reserving: 42) { $0.address(address) }
    }

    /// As `CommunityID.string`.
    public mutating func communityID(_ digest: SHA1Digest) {
        write(reserving: 33) { $0.communityID(digest) }
    }

    /// Room for a quoted string and a comma: a short one escaped throughout
    /// at worst; a long one with a margin (more is asked for if it needs it).
    private static func limit(_ text: String) -> Int {
        limit(utf8Count: text.utf8.count)
    }

    private static func limit(_ text: Substring) -> Int {
        limit(utf8Count: text.utf8.count)
    }

    private static func limit(utf8Count count: Int) -> Int {
        return count <= 64 ? count &* 6 &+ 3 : count + count / 4 + 16
    }
}
