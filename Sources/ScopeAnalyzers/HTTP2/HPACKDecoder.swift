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
    private let huffmanMemo = HPACKHuffmanMemo()

    enum Failure: Error { case malformed, tooLarge }

    init(memoryLimit: Int = 64 << 10, tableSize: Int = 4096) {
        self.memoryLimit = memoryLimit
        settingsLimit = tableSize
        tableLimit = tableSize
    }

    var dynamicCount: Int { table.count }
    /// Bytes the table's storage holds, evicted room included (tests: it stays bounded).
    var tableStorageBytes: Int { table.storageBytes }

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

    /// A literal field: its name (a literal, or a static or dynamic entry's)
    /// and value are handed over where they lie (in the block, the tables,
    /// or temporary memory when Huffman-coded), never copied into arrays.
    private mutating func literal(_ block: UnsafeRawBufferPointer, _ offset: inout Int, nameIndex: Int, indexing: Bool,
                                  _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Bool {
        let memo = huffmanMemo
        if nameIndex == 0 {
            guard let name = Self.string(block, &offset), let value = Self.string(block, &offset) else { return false }
            var ok = false
            return Self.withText(name, memo) { name in ok = Self.withText(value, memo) { add(name, $0, indexing: indexing, field) } } && ok
        }
        if nameIndex <= HPACKStaticTable.count {
            guard let value = Self.string(block, &offset) else { return false }
            let name = HPACKStaticTable.packed.entry(nameIndex).name
            return Self.withText(value, memo) { add(name, $0, indexing: indexing, field) }
        }
        let dynamic = nameIndex &- HPACKStaticTable.count
        guard dynamic <= dynamicCount else {
            guard unknown(), let value = Self.string(block, &offset) else { return false }
            // An entry of unknown name still takes its place in the table (the
            // indices of the others depend on it); its name stays empty.
            return Self.withText(value, memo) { if indexing { insert(name: UnsafeRawBufferPointer(start: nil, count: 0), value: $0) } }
        }
        guard let value = Self.string(block, &offset) else { return false }
        // Copied out of the table first: the insert may evict the entry or move the table's bytes.
        let length = table.withEntry(dynamic) { name, _ in name.count }
        return withUnsafeTemporaryAllocation(byteCount: length, alignment: 1) { copy in
            table.withEntry(dynamic) { name, _ in copy.copyMemory(from: name) }
            return Self.withText(value, memo) { add(UnsafeRawBufferPointer(copy), $0, indexing: indexing, field) }
        }
    }

    private mutating func add(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, indexing: Bool,
                              _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        field(name, value)
        if indexing { insert(name: name, value: value) }
    }

    private mutating func insert(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let size = name.count &+ value.count &+ 32
        let limit = min(tableLimit, memoryLimit)
        if size > limit {
            // RFC 7541 §4.4: an entry larger than the table empties it.
            if size <= tableLimit { truncated = true }
            evict(toFit: .max)
            return
        }
        evict(toFit: size)
        table.append(name: name, value: value)
        tableBytes &+= size
    }

    /// Evicts oldest entries until `incoming` more bytes fit (`.max`: all).
    private mutating func evict(toFit incoming: Int) {
        let limit = min(tableLimit, memoryLimit)
        while table.count > 0 && (incoming == .max || tableBytes &+ incoming > limit) {
            // Evicted here but not by the peer (whose limit is `tableLimit`): its index is lost.
            if incoming != .max && tableBytes &+ incoming <= tableLimit { truncated = true }
            tableBytes &-= table.oldestLength &+ 32
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

    /// A string literal (§5.2) as it lies in `bytes`; nil when truncated.
    static func string(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int)
        -> (bytes: UnsafeRawBufferPointer, huffman: Bool)? {
        guard offset < bytes.count else { return nil }
        let huffman = bytes[offset] & 0x80 != 0
        guard let length = integer(bytes, &offset, prefix: 7), length <= bytes.count &- offset else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset &+ length)])
        offset &+= length
        return (raw, huffman)
    }

    /// A string literal's text handed to `body`, valid only there: a raw one
    /// where it lies, a Huffman-coded one decoded into temporary memory (on
    /// the stack when small). False, `body` not called, when the code is not valid.
    /// `memo` answers for short strings decoded lately (copied into the
    /// temporary memory all the same: a nested call may replace its slot).
    static func withText(_ literal: (bytes: UnsafeRawBufferPointer, huffman: Bool), _ memo: HPACKHuffmanMemo,
                         _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard literal.huffman else {
            body(literal.bytes)
            return true
        }
        // The shortest code is 5 bits: at most 8n/5 symbols.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: literal.bytes.count &* 8 / 5 &+ 1) { scratch in
            guard let written = memo.decode(literal.bytes, into: scratch.baseAddress!) else { return false }
            body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[0..<written]))
            return true
        }
    }
}
