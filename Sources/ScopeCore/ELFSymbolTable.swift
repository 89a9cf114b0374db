/// Just enough of ELF64 (little-endian) to find one symbol: where the
/// primary's `rte_mempool_ops_table` lives. It may be defined in the
/// executable (a copy relocation in .bss, visible in .dynsym) or in
/// librte_mempool; non-stripped static binaries have it only in .symtab.
public struct ELFSymbolTable: Sendable {
    public enum FileType: UInt16, Sendable { case executable = 2, sharedObject = 3 }

    public struct Symbol: Equatable, Sendable {
        public var value: UInt64
        public var size: UInt64
        /// false for an undefined reference (SHN_UNDEF): the symbol lives elsewhere.
        public var isDefined: Bool
    }

    public let fileType: FileType
    private let bytes: [UInt8]
    private let symbolSections: [(symbols: Range<Int>, strings: Range<Int>, entrySize: Int)]

    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw ScopeError(.failure, "not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else {
            throw ScopeError(.failure, "only 64-bit little-endian ELF is supported")
        }
        self.bytes = bytes
        guard let type = FileType(rawValue: Self.u16(bytes, 16)) else {
            throw ScopeError(.failure, "ELF file is neither an executable nor a shared object")
        }
        fileType = type
        let sectionOffset = Int(clamping: Self.u64(bytes, 0x28))
        let sectionEntrySize = Int(Self.u16(bytes, 0x3A))
        let sectionCount = Int(Self.u16(bytes, 0x3C))
        var sections: [(type: UInt32, range: Range<Int>, link: Int, entrySize: Int)] = []
        for index in 0..<sectionCount {
            let header = sectionOffset + index * sectionEntrySize
            guard sectionEntrySize >= 64, header >= 0, header + 64 <= bytes.count else { break }
            let offset = Int(clamping: Self.u64(bytes, header + 0x18))
            let size = Int(clamping: Self.u64(bytes, header + 0x20))
            let type = Self.u32(bytes, header + 0x04)
            // SHT_NOBITS (.bss) occupies no file bytes.
            let end = type == 8 ? offset : offset.addingReportingOverflow(size).partialValue
            let range = (offset >= 0 && end >= offset && end <= bytes.count) ? offset..<end : 0..<0
            sections.append((type, range, Int(Self.u32(bytes, header + 0x28)), Int(clamping: Self.u64(bytes, header + 0x38))))
        }
        var tables: [(Range<Int>, Range<Int>, Int)] = []
        for section in sections where section.type == 11 || section.type == 2 { // SHT_DYNSYM, SHT_SYMTAB
            guard section.link < sections.count, section.entrySize >= 24 else { continue }
            tables.append((section.range, sections[section.link].range, section.entrySize))
        }
        symbolSections = tables.map { (symbols: $0.0, strings: $0.1, entrySize: $0.2) }
    }

    /// True when the file carries no symbol table at all (a stripped static binary).
    public var hasSymbols: Bool { !symbolSections.isEmpty }

    /// The first definition of `name`, preferring any defined entry over an
    /// undefined reference.
    public func lookup(_ name: String) -> Symbol? {
        let wanted = Array(name.utf8)
        var undefined: Symbol?
        for table in symbolSections {
            var entry = table.symbols.lowerBound
            while entry + 24 <= table.symbols.upperBound {
                let nameOffset = Int(Self.u32(bytes, entry))
                if matches(wanted, at: table.strings.lowerBound + nameOffset, within: table.strings) {
                    let symbol = Symbol(value: Self.u64(bytes, entry + 8),
                                        size: Self.u64(bytes, entry + 16),
                                        isDefined: Self.u16(bytes, entry + 6) != 0)
                    if symbol.isDefined { return symbol }
                    undefined = undefined ?? symbol
                }
                entry += table.entrySize
            }
        }
        return undefined
    }

    private func matches(_ wanted: [UInt8], at start: Int, within strings: Range<Int>) -> Bool {
        guard start >= strings.lowerBound, start + wanted.count < strings.upperBound else { return false }
        for (i, byte) in wanted.enumerated() where bytes[start + i] != byte { return false }
        return bytes[start + wanted.count] == 0
    }

    static func u16(_ b: [UInt8], _ o: Int) -> UInt16 {
        guard o >= 0, o + 2 <= b.count else { return 0 }
        return UInt16(b[o]) | UInt16(b[o + 1]) << 8
    }

    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        guard o >= 0, o + 4 <= b.count else { return 0 }
        return (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) }
    }

    static func u64(_ b: [UInt8], _ o: Int) -> UInt64 {
        guard o >= 0, o + 8 <= b.count else { return 0 }
        return (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) }
    }
}
