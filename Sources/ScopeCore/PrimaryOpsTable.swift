/// Reads the primary's `rte_mempool_ops_table` out of its memory.
///
/// Where the table lives depends on how the primary was linked: an
/// executable that references the table (Debian's dpdk-testpmd does, through
/// inline mempool functions) gets a copy relocation, so the live table sits in
/// the executable's .bss; otherwise it is librte_mempool's own. A static,
/// non-stripped binary carries it in .symtab.
public enum PrimaryOpsTable {
    public static let symbol = "rte_mempool_ops_table"

    public struct Location: Equatable, Sendable {
        public var address: UInt64
        /// The file whose definition is live: shown in diagnostics.
        public var definedIn: String
    }

    public static func locate(pid: Int32) throws -> Location {
        let procRoot = "/proc/\(pid)/root"
        guard let mapsText = ProcessFiles.readText("/proc/\(pid)/maps") else {
            throw ScopeError(.failure, "cannot read /proc/\(pid)/maps")
        }
        let maps = ProcMaps(text: mapsText)
        let exePath = ProcessFiles.linkTarget("/proc/\(pid)/exe") ?? ""
        // /proc/PID/exe opens the running image even if the path was replaced.
        var candidates = [(file: "/proc/\(pid)/exe", mapped: exePath)]
        candidates += maps.paths(withBasenamePrefix: "librte_mempool").map { (procRoot + $0, $0) }
        var sawSymbols = false
        for candidate in candidates {
            guard let bytes = ProcessFiles.readBytes(candidate.file, limit: 512 << 20),
                  let elf = try? ELFSymbolTable(bytes: bytes) else { continue }
            sawSymbols = sawSymbols || elf.hasSymbols
            guard let found = elf.lookup(symbol), found.isDefined else { continue }
            let base: UInt64
            switch elf.fileType {
            case .executable: base = 0
            case .sharedObject:
                guard let loaded = maps.loadBase(of: candidate.mapped) else { continue }
                base = loaded
            }
            return Location(address: base &+ found.value, definedIn: candidate.mapped)
        }
        throw ScopeError(.failure, sawSymbols
            ? "\(symbol) is not defined in the primary's executable or a mapped librte_mempool"
            : "the primary's executable carries no symbols (a stripped static build?)")
    }

    /// The primary's ops names in index order.
    public static func read(pid: Int32, layout: MempoolOpsTableLayout) throws -> (names: [String], location: Location) {
        let location = try locate(pid: pid)
        guard let image = ProcessFiles.readMemory(pid: pid, address: location.address, count: layout.tableSize) else {
            throw ScopeError(.failure, "cannot read \(symbol) at 0x\(String(location.address, radix: 16)) through /proc/\(pid)/mem")
        }
        guard let names = layout.names(fromTableImage: image) else {
            throw ScopeError(.failure, "the bytes at \(symbol) (0x\(String(location.address, radix: 16)) in \(location.definedIn)) do not look like a mempool ops table")
        }
        return (names, location)
    }
}
