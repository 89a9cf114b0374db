import Testing
@testable import ScopeCore

@Suite struct ELFAndMapsTests {
    /// A minimal ELF64 shared object with .dynsym/.dynstr holding one defined
    /// and one undefined symbol, built by hand so the test needs no toolchain.
    static func syntheticELF(type: UInt16, definedValue: UInt64) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 64)
        b.replaceSubrange(0..<4, with: [0x7F, 0x45, 0x4C, 0x46])
        b[4] = 2; b[5] = 1; b[6] = 1
        func put16(_ v: UInt16, _ o: Int) { b[o] = UInt8(v & 0xFF); b[o + 1] = UInt8(v >> 8) }
        func put32(_ v: UInt32, _ o: Int) { for i in 0..<4 { b[o + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) } }
        func put64(_ v: UInt64, _ o: Int) { for i in 0..<8 { b[o + i] = UInt8((v >> (8 * UInt64(i))) & 0xFF) } }
        put16(type, 16)
        let strings = Array("\0rte_mempool_ops_table\0other_symbol\0".utf8)
        let stroff = 64
        b += strings
        let symoff = b.count
        b += [UInt8](repeating: 0, count: 24 * 3) // null, undefined other, defined table
        put32(UInt32(1 + 22), symoff + 24)          // "other_symbol", shndx 0
        put32(1, symoff + 48)                        // "rte_mempool_ops_table"
        put16(25, symoff + 48 + 6)                   // defined in some section
        put64(definedValue, symoff + 48 + 8)
        put64(0x1000, symoff + 48 + 16)
        let shoff = b.count
        b += [UInt8](repeating: 0, count: 64 * 3)    // null, dynsym, dynstr
        put32(11, shoff + 64 + 4); put64(UInt64(symoff), shoff + 64 + 0x18); put64(72, shoff + 64 + 0x20)
        put32(2, shoff + 64 + 0x28); put64(24, shoff + 64 + 0x38)
        put32(3, shoff + 128 + 4); put64(UInt64(stroff), shoff + 128 + 0x18); put64(UInt64(strings.count), shoff + 128 + 0x20)
        put64(UInt64(shoff), 0x28); put16(64, 0x3A); put16(3, 0x3C)
        return b
    }

    @Test func findsDefinedSymbolInSyntheticObject() throws {
        let elf = try ELFSymbolTable(bytes: Self.syntheticELF(type: 3, definedValue: 0xF2480))
        #expect(elf.fileType == .sharedObject)
        #expect(elf.lookup("rte_mempool_ops_table") == .init(value: 0xF2480, size: 0x1000, isDefined: true))
        #expect(elf.lookup("other_symbol")?.isDefined == false)
        #expect(elf.lookup("rte_mempool_ops") == nil) // prefix must not match
    }

    @Test func rejectsNonELFAndSurvivesTruncation() throws {
        #expect(throws: ScopeError.self) { try ELFSymbolTable(bytes: Array("#!/bin/sh\n".utf8)) }
        let whole = Self.syntheticELF(type: 3, definedValue: 1)
        for length in stride(from: 64, to: whole.count, by: 7) {
            let elf = try ELFSymbolTable(bytes: Array(whole.prefix(length)))
            _ = elf.lookup("rte_mempool_ops_table") // must not trap
        }
    }

    /// The real thing. Debian 12's testpmd (DPDK 22.11) carries the table as
    /// a copy relocation, defined in its own .bss; Debian 13's (24.11) only
    /// references it and reaches librte_mempool's through the GOT. The
    /// library defines it either way; PrimaryOpsTable.locate tries the
    /// executable first, then the mapped library, so both work.
    @Test(.enabled(if: ProcessFiles.exists("/usr/bin/dpdk-testpmd"), "dpdk-testpmd is not installed"))
    func debianTestpmdAndLibrteMempoolCarryTheTable() throws {
        let exe = try ELFSymbolTable(bytes: try #require(ProcessFiles.readBytes("/usr/bin/dpdk-testpmd")))
        let reference = try #require(exe.lookup(PrimaryOpsTable.symbol), "testpmd does not even reference the table")
        // librte_mempool's soname follows the DPDK ABI: 23 for 22.11, 25 for 24.11.
        let libraryPath = try #require((23...27).map { "/usr/lib/x86_64-linux-gnu/librte_mempool.so.\($0)" }
            .first(where: ProcessFiles.exists), "no librte_mempool.so.N installed")
        let lib = try ELFSymbolTable(bytes: try #require(ProcessFiles.readBytes(libraryPath)))
        #expect(lib.fileType == .sharedObject)
        #expect(lib.lookup(PrimaryOpsTable.symbol)?.isDefined == true)
        if libraryPath.hasSuffix(".so.23") {
            #expect(reference.isDefined, "Debian 12's testpmd should carry a copy relocation")
        }
    }

    @Test func parsesProcMaps() {
        let maps = ProcMaps(text: """
        55d0c4a00000-55d0c4a2e000 r--p 00000000 fe:01 123 /usr/bin/dpdk-testpmd
        55d0c4a2e000-55d0c4b00000 r-xp 0002e000 fe:01 123 /usr/bin/dpdk-testpmd
        7f1000000000-7f1000010000 r--p 00000000 fe:01 456 /usr/lib/x86_64-linux-gnu/librte_mempool.so.23.0
        7f1000010000-7f1000020000 rw-p 00000000 00:00 0
        garbage line
        """)
        #expect(maps.mappings.count == 4)
        #expect(maps.loadBase(of: "/usr/bin/dpdk-testpmd") == 0x55d0c4a00000)
        #expect(maps.paths(withBasenamePrefix: "librte_mempool") == ["/usr/lib/x86_64-linux-gnu/librte_mempool.so.23.0"])
        #expect(maps.contains(address: 0x55d0c4a00010, length: 16))
        #expect(!maps.contains(address: 0x1000, length: 1))
    }
}
