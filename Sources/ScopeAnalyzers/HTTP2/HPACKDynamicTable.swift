/// The entries of an HPACK dynamic table (RFC 7541 §2.3.2) as bytes: every
/// entry's name and value lie back to back in one array, oldest first, and
/// each entry is three integers in a second one. An entry of its own
/// `[UInt8]` allocated once per insert; here an insert copies into room
/// kept in one array, and an eviction moves a start index.
/// Sizes and limits are the decoder's business.
struct HPACKDynamicTable {
    private struct Entry {
        var start: Int
        var nameLength: Int
        var valueLength: Int
    }

    /// Storage: entries' bytes lie in `firstByte..<used`; the rest is room.
    private var bytes: [UInt8] = []
    private var used = 0
    /// Where the oldest live entry's bytes begin.
    private var firstByte = 0
    private var entries: [Entry] = []
    /// The oldest live entry; the newest is the last.
    private var first = 0

    var count: Int { entries.count &- first }
    var storageBytes: Int { bytes.count }

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

    /// Adds the newest entry: copied into room kept in `bytes`. Appending
    /// to the array (two `append(contentsOf:)` per insert) was most of an
    /// insert's cost, and HTTP/2 inserts about ten entries per stream.
    mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let total = name.count &+ value.count
        if bytes.count &- used < total { makeRoom(for: total) }
        entries.append(Entry(start: used, nameLength: name.count, valueLength: value.count))
        let start = used
        bytes.withUnsafeMutableBytes { room in
            if let from = name.baseAddress { (room.baseAddress! + start).copyMemory(from: from, byteCount: name.count) }
            if let from = value.baseAddress {
                (room.baseAddress! + (start &+ name.count)).copyMemory(from: from, byteCount: value.count)
            }
        }
        used &+= total
    }

    /// Moves the live bytes to the front, then grows the storage if that
    /// is not enough: storage stays within twice the live bytes plus the
    /// entry coming in (and 4 KiB).
    private mutating func makeRoom(for total: Int) {
        if firstByte > 0 {
            let live = used &- firstByte
            bytes.withUnsafeMutableBytes { all in
                all.baseAddress!.copyMemory(from: all.baseAddress! + firstByte, byteCount: live)
            }
            for index in first..<entries.count { entries[index].start &-= firstByte }
            used = live
            firstByte = 0
        }
        if bytes.count &- used < total {
            bytes.append(contentsOf: repeatElement(0, count: max(4096, used &+ total)))
        }
    }

    /// Drops the oldest entry.
    mutating func removeOldest() {
        first &+= 1
        firstByte = first < entries.count ? entries[first].start : used
        // The evicted records leave in one move once they are the larger
        // half: memory stays within twice the live table.
        if first > 32 && first &* 2 > entries.count {
            entries.removeFirst(first)
            first = 0
        }
    }
}
