/// A W3C Trace Context `traceparent` header value
/// (version-traceid-parentid-flags, lowercase hex). Only what a valid
/// header says is kept: an invalid one is ignored, as the specification
/// tells receivers to do.
struct TraceParent {
    let traceID: String
    let parentID: String

    init?(_ value: UnsafeRawBufferPointer) {
        // 2 + 1 + 32 + 1 + 16 + 1 + 2; later versions may append "-…".
        guard value.count >= 55, value[2] == 0x2D, value[35] == 0x2D, value[52] == 0x2D else { return nil }
        guard Self.isHex(value, 0..<2), Self.isHex(value, 3..<35), Self.isHex(value, 36..<52), Self.isHex(value, 53..<55)
        else { return nil }
        let version = Self.text(value, 0..<2)
        guard version != "ff", version != "00" || value.count == 55, value.count == 55 || value[55] == 0x2D else { return nil }
        let trace = Self.text(value, 3..<35), parent = Self.text(value, 36..<52)
        guard trace.utf8.contains(where: { $0 != 0x30 }), parent.utf8.contains(where: { $0 != 0x30 }) else { return nil }
        traceID = trace
        parentID = parent
    }

    private static func isHex(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        range.allSatisfy { (bytes[$0] >= 0x30 && bytes[$0] <= 0x39) || (bytes[$0] >= 0x61 && bytes[$0] <= 0x66) }
    }

    private static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
