/// Text for a terminal: numbers in human units, and untrusted strings made
/// harmless. Everything the renderer produces is one column per Character.
public enum DashboardText {
    /// Printable ASCII only: control characters, ESC, DEL and every
    /// non-ASCII byte (bidi overrides, wide and zero-width characters)
    /// become `\xNN` (or `\n`, `\r`, `\t`), backslash becomes `\\`. At most
    /// `limit` columns; a cut string ends in "...". Reads no more of the
    /// input than it needs, so a huge string costs no more than a short one.
    public static func sanitized(_ text: String, limit: Int) -> String {
        guard limit > 0 else { return "" }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, 256))
        var truncated = false
        for byte in text.utf8 {
            let piece = escape(byte)
            guard output.count + piece.count <= limit else { truncated = true; break }
            output.append(contentsOf: piece)
        }
        guard truncated else { return String(decoding: output, as: UTF8.self) }
        let keep = max(0, min(output.count, limit - 3))
        return String(decoding: output[..<keep], as: UTF8.self) + String("...".prefix(limit - keep))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func escape(_ byte: UInt8) -> [UInt8] {
        switch byte {
        case UInt8(ascii: "\\"): [byte, byte]
        case 0x20...0x7E: [byte]
        case 0x0A: Array("\\n".utf8)
        case 0x0D: Array("\\r".utf8)
        case 0x09: Array("\\t".utf8)
        default: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
        }
    }

    /// At most `width` columns.
    public static func fit(_ line: String, width: Int) -> String {
        guard width > 0 else { return "" }
        return line.count <= width ? line : String(line.prefix(width))
    }

    public static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    public static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    /// 850ns, 12.3µs, 456µs, 1.23ms, 45.6ms, 1.50s, 125s; "-" for none.
    public static func duration(_ nanoseconds: UInt64?) -> String {
        guard let ns = nanoseconds else { return "-" }
        switch ns {
        case ..<1_000: return "\(ns)ns"
        case ..<1_000_000: return scaled(Double(ns) / 1e3, unit: "µs")
        case ..<1_000_000_000: return scaled(Double(ns) / 1e6, unit: "ms")
        default: return scaled(Double(ns) / 1e9, unit: "s")
        }
    }

    /// Three significant digits at most, then the unit.
    private static func scaled(_ value: Double, unit: String) -> String {
        let places = value < 10 ? 2 : value < 100 ? 1 : 0
        return fixed(value, places: places) + unit
    }

    /// "12.5%" from 0.125.
    public static func percent(_ fraction: Double) -> String {
        fixed(fraction * 100, places: 1) + "%"
    }

    /// A rate or count with `places` decimals; large values in k/M/G.
    public static func rate(_ value: Double) -> String {
        guard value.isFinite, value >= 0 else { return "-" }
        if value >= 1e9 { return fixed(value / 1e9, places: 1) + "G" }
        if value >= 1e6 { return fixed(value / 1e6, places: 1) + "M" }
        if value >= 1e5 { return fixed(value / 1e3, places: 0) + "k" }
        return fixed(value, places: value >= 100 ? 0 : 1)
    }

    /// Decimal text with a fixed number of places, without Foundation.
    public static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "-" }
        guard abs(value) < 1e15 else { return value < 0 ? "-inf" : "inf" }
        let places = min(max(0, places), 6)
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale), fraction = scaled % Int64(scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: places - digits.count) + digits
    }

    /// H:MM:SS.
    public static func uptime(_ seconds: Double) -> String {
        let total = seconds.isFinite && seconds > 0 ? Int(min(seconds, 1e12)) : 0
        let minutes = (total / 60) % 60, secs = total % 60
        return "\(total / 3600):" + (minutes < 10 ? "0" : "") + "\(minutes):" + (secs < 10 ? "0" : "") + "\(secs)"
    }
}
