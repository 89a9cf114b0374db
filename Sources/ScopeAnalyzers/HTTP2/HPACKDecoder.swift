/// One direction's HPACK decoder (RFC 7541): the static table, a dynamic
/// table bounded by the peer's SETTINGS_HEADER_TABLE_SIZE and by
/// `memoryLimit`, integers and string literals (Huffman included).
///
/// A decoder whose history is unknown (a capture that began mid-connection,
/// a gap, a header block it could not read) is `desynchronised`: the
/// entries it adds from then on are still right, as HPACK indexes the
/// newest entries first, but older ones are not known. A reference to one
/// is counted in `lostFields` and decoding goes on with the next field.
/// The same holds for entries evicted early because a table larger than
/// `memoryLimit` was allowed.
struct HPACKDecoder {
    /// The largest table the peer's settings allow (4096 until told).
    var settingsLimit = 4096
    /// The size the encoder chose (size updates, ≤ `settingsLimit`).
    private(set) var tableLimit = 4096
    /// Most bytes (RFC size: name + value + 32 per entry) this decoder keeps.
    let memoryLimit: Int
    private(set) var tableBytes = 0
    /// The newest entry is index 62.
    private var table = HPACKDynamicTable()
    private(set) var desynchronised = false
    /// Entries evicted by `memoryLimit` that the peer still has.
    private var truncated = false
    /// Field references to entries this decoder does not know.
    private(set) var lostFields: UInt64 = 0
    private var nameScratch: [UInt8] = []
    private var valueScratch: [UInt8] = []

    enum Failure: Error { case malformed, tooLarge }

    init(memoryLimit: Int = 64 << 10, tableSize: Int = 4096) {
        self.memoryLimit = memoryLimit
        settingsLimit = tableSize
        tableLimit = tableSize
        nameScratch.reserveCapacity(256)
        valueScratch.reserveCapacity(256)
    }

    var dynamicCount: Int { table.count }

    /// Dynamic entry `index` (1 = newest), as text: for tests and debugging.
    func dynamicEntry(_ index: Int) -> (name: String, value: String)? {
        guard index >= 1 && index <= dynamicCount else { return nil }
        return table.withEntry(index) { (String(decoding: $0, as: UTF8.self), String(decoding: $1, as: UTF8.self)) }
    }

    /// History was lost: keep what is known, count references past it.
    mutating func desynchronise() { desynchronised = true }

    /// Decodes a whole header block, calling `field` per header field in
    /// order. Stops at the first malformed representation (the decoder is
    /// then desynchronised: it may have missed insertions).
    @discardableResult
    mutating func decode(_ block: UnsafeRawBufferPointer,
                         _ field: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) -> Bool {
        var offset = 0
        var sizeUpdateAllowed = true
        while offset < block.count {
            let byte = block[offset]
            let ok: Bool
            if byte & 0x80 != 0 {
                guard let index = Self.integer(block, &offset, prefix: 7) else { return fail() }
                ok = indexed(index, field)
                sizeUpdateAllowed = false
            } else if byte & 0xE0 == 0x20 {
                // Above the settings' limit is the peer's error; memory stays bounded by `memoryLimit` anyway.
                guard sizeUpdateAllowed, let size = Self.integer(block, &offset, prefix: 5) else { return fail() }
                tableLimit = size
                evict(toFit: 0)
                continue
            } else {
                let indexing = byte & 0xC0 == 0x40
                guard let index = Self.integer(block, &offset, prefix: indexing ? 6 : 4) else { return fail() }
                ok = literal(block, &offset, nameIndex: index, indexing: indexing, field)
                sizeUpdateAllowed = false
            }
            if !ok { return fail() }
        }
        return true
    }

    private mutating func fail() -> Bool {
        desynchronised = true
        return false
    }

    private mutating func indexed(_ index: Int, _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Bool {
        if index == 0 { return false }
        if index <= HPACKStaticTable.count {
            let entry = HPACKStaticTable.packed.entry(index)
            field(entry.name, entry.value)
            return true
        }
        let dynamic = index &- HPACKStaticTable.count
        guard dynamic <= dynamicCount else { return unknown() }
        table.withEntry(dynamic, field)
        return true
    }

    /// A reference past the known entries: lost if the history is, else malformed.
    private mutating func unknown() -> Bool {
        guard desynchronised || truncated else { return false }
        lostFields &+= 1
        return true
    }

    private mutating func literal(_ block: UnsafeRawBufferPointer, _ offset: inout Int, nameIndex: Int, indexing: Bool,
                                  _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Bool {
        nameScratch.removeAll(keepingCapacity: true)
        valueScratch.removeAll(keepingCapacity: true)
        var nameKnown = true
        if nameIndex == 0 {
            guard Self.string(block, &offset, into: &nameScratch) else { return false }
        } else if nameIndex <= HPACKStaticTable.count {
            nameScratch.append(contentsOf: HPACKStaticTable.packed.entry(nameIndex).name)
        } else if nameIndex &- HPACKStaticTable.count <= dynamicCount {
            table.withEntry(nameIndex &- HPACKStaticTable.count) { name, _ in nameScratch.append(contentsOf: name) }
        } else {
            guard unknown() else { return false }
            nameKnown = false
        }
        guard Self.string(block, &offset, into: &valueScratch) else { return false }
        if nameKnown {
            nameScratch.withUnsafeBytes { name in valueScratch.withUnsafeBytes { field(name, $0) } }
        }
        if indexing {
            // An entry of unknown name still takes its place in the table (the
            // indices of the others depend on it); its name stays empty.
            if !nameKnown { nameScratch.removeAll(keepingCapacity: true) }
            insert()
        }
        return true
    }

    /// Adds `nameScratch` and `valueScratch` as the newest entry.
    private mutating func insert() {
        let size = nameScratch.count &+ valueScratch.count &+ 32
        let limit = min(tableLimit, memoryLimit)
        if size > limit {
            // RFC 7541 §4.4: an entry larger than the table empties it.
            if size <= tableLimit { truncated = true }
            evict(toFit: .max)
            return
        }
        evict(toFit: size)
        nameScratch.withUnsafeBytes { name in valueScratch.withUnsafeBytes { table.append(name: name, value: $0) } }
        tableBytes &+= size
    }

    /// Evicts oldest entries until `incoming` more bytes fit (`.max`: all).
    private mutating func evict(toFit incoming: Int) {
        let limit = min(tableLimit, memoryLimit)
        while table.count > 0 && (incoming == .max || tableBytes &+ incoming > limit) {
            // Evicted here but not by the peer (whose limit is `tableLimit`): its index is lost.
            if incoming != .max && tableBytes &+ incoming <= tableLimit { truncated = true }
            tableBytes &-= table.withEntry(table.count) { $0.count &+ $1.count &+ 32 }
            table.removeOldest()
        }
    }

    /// An HPACK integer with an N-bit prefix (§5.1); nil when truncated or
    /// over 2^28 (no legitimate index, length or size comes near).
    static func integer(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int, prefix: Int) -> Int? {
        guard offset < bytes.count else { return nil }
        let mask = (1 << prefix) &- 1
        var value = Int(bytes[offset]) & mask
        offset &+= 1
        guard value == mask else { return value }
        var shift = 0
        while offset < bytes.count {
            let byte = Int(bytes[offset])
            offset &+= 1
            value &+= (byte & 0x7F) << shift
            if value > 1 << 28 { return nil }
            if byte & 0x80 == 0 { return value }
            shift &+= 7
        }
        return nil
    }

    /// A string literal (§5.2) appended to `output`.
    static func string(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int, into output: inout [UInt8]) -> Bool {
        guard offset < bytes.count else { return false }
        let huffman = bytes[offset] & 0x80 != 0
        guard let length = integer(bytes, &offset, prefix: 7), length <= bytes.count &- offset else { return false }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ length)])
        offset &+= length
        if huffman { return HPACKHuffman.decode(raw, into: &output) }
        output.append(contentsOf: raw)
        return true
    }
}
