/// The entries of an HPACK dynamic table (RFC 7541 §2.3.2) as bytes: every
/// entry's name and value lie back to back in one array, oldest first, and
/// each entry is three integers in a second one. An entry of its own
/// `[UInt8]` allocated once per insert; here an insert appends to arrays
/// that stop growing with the table, and an eviction moves a start index.
/// Sizes and limits are the decoder's business.
struct HPACKDynamicTable {
    private struct Entry {
        var start: Int
        var nameLength: Int
        var valueLength: Int
    }

    private var bytes: [UInt8] = []
    /// Where the oldest live entry's bytes begin.
    private var firstByte = 0
    private var entries: [Entry] = []
    /// The oldest live entry; the newest is the last.
    private var first = 0

    var count: Int { entries.count &- first }

    /// Entry `index` (1 = newest, up to `count`) as name and value bytes,
    /// valid only inside `body`.
    func withEntry<Result>(_ index: Int,
                           _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Result) -> Result {
        let entry = entries[entries.count &- index]
        return bytes.withUnsafeBytes { all in
            let nameEnd = entry.start &+ entry.nameLength
            return body(UnsafeRawBufferPointer(rebasing: all[entry.start..<nameEnd]),
                        UnsafeRawBufferPointer(rebasing: all[nameEnd..<(nameEnd &+ entry.valueLength)]))
        }
    }

    /// The oldest entry's name and value bytes together (`count` > 0):
    /// what an eviction frees, without reaching into the bytes.
    var oldestLength: Int {
        let entry = entries[first]
        return entry.nameLength &+ entry.valueLength
    }

    /// Adds the newest entry.
    mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        entries.append(Entry(start: bytes.count, nameLength: name.count, valueLength: value.count))
        // As typed buffers: appending an UnsafeRawBufferPointer went byte by byte.
        bytes.append(contentsOf: name.assumingMemoryBound(to: UInt8.self))
        bytes.append(contentsOf: value.assumingMemoryBound(to: UInt8.self))
    }

    /// Drops the oldest entry.
    mutating func removeOldest() {
        first &+= 1
        firstByte = first < entries.count ? entries[first].start : bytes.count
        // The evicted front leaves in one move once it is the larger half
        // (of entries; of bytes, past 4 KiB): memory stays within twice the live table.
        if first > 32 && first &* 2 > entries.count {
            entries.removeFirst(first)
            first = 0
        }
        if firstByte > 4096 && firstByte &* 2 > bytes.count {
            bytes.removeFirst(firstByte)
            for index in first..<entries.count { entries[index].start &-= firstByte }
            firstByte = 0
        }
    }
}
