/// HPACK's static table (RFC 7541 Appendix A): indices 1...61.
enum HPACKStaticTable {
    static let entries: [(name: [UInt8], value: [UInt8])] = [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
        ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""),
        ("content-length", ""), ("content-location", ""), ("content-range", ""), ("content-type", ""),
        ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
        ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
        ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""),
        ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
        ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
        ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    static var count: Int { entries.count }

    /// Every name and value one after the other in plain memory made once,
    /// with each entry's name start, name length and value length: a field
    /// read from the static table costs no retain or release.
    struct Packed: @unchecked Sendable {
        let bytes: UnsafePointer<UInt8>
        /// Per entry (index - 1): name start, name length, value length; the value follows the name.
        let layout: UnsafePointer<(Int, Int, Int)>

        init() {
            var flat: [UInt8] = []
            var spans: [(Int, Int, Int)] = []
            for entry in HPACKStaticTable.entries {
                spans.append((flat.count, entry.name.count, entry.value.count))
                flat += entry.name + entry.value
            }
            let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: flat.count)
            memory.initialize(from: flat, count: flat.count)
            let table = UnsafeMutablePointer<(Int, Int, Int)>.allocate(capacity: spans.count)
            table.initialize(from: spans, count: spans.count)
            bytes = UnsafePointer(memory)
            layout = UnsafePointer(table)
        }

        /// Entry `index` (1...61): its name and value.
        @inline(__always)
        func entry(_ index: Int) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            let (start, nameLength, valueLength) = layout[index &- 1]
            return (UnsafeRawBufferPointer(start: bytes + start, count: nameLength),
                    UnsafeRawBufferPointer(start: bytes + start + nameLength, count: valueLength))
        }
    }

    static let packed = Packed()
}
