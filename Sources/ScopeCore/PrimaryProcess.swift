#if canImport(Glibc)
import Glibc
#endif

/// What we can learn about a running DPDK primary before calling into EAL,
/// so that "no primary", "wrong version" and friends become one clear line
/// instead of an EAL failure (or a hang).
public struct PrimaryProcess: Sendable {
    /// RTE_MAGIC: written into the shared config once the primary finished init.
    public static let configMagic: UInt32 = 19_820_526

    public let prefix: String
    public let runtimeDirectory: String
    public let pid: Int32
    /// RTE_VERSION of the primary, from struct rte_mem_config.version.
    public let version: UInt32
    public let commandLine: [String]

    public var configPath: String { runtimeDirectory + "/config" }

    /// Where EAL keeps a prefix's runtime files (eal_get_runtime_dir()).
    public static func runtimeDirectory(prefix: String) -> String {
        if geteuid() == 0 { return "/var/run/dpdk/\(prefix)" }
        let base = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) } ?? "/tmp"
        return "\(base)/dpdk/\(prefix)"
    }

    /// Finds the primary for `prefix` and checks it speaks our DPDK version.
    /// Waits up to `initTimeout` seconds for a primary that is still starting.
    public static func locate(prefix: String, expectedVersion: UInt32, initTimeout: Double = 3) throws -> PrimaryProcess {
        let directory = runtimeDirectory(prefix: prefix)
        let config = directory + "/config"
        guard ProcessFiles.exists(config) else {
            throw ScopeError(.usageOrAttach,
                             "no DPDK primary with file-prefix '\(prefix)': \(config) does not exist (is the application running with --file-prefix \(prefix)?)")
        }
        guard let pid = lockHolder(ofConfig: config) else {
            throw ScopeError(.usageOrAttach,
                             "no DPDK primary with file-prefix '\(prefix)' is running (\(directory) is left over from an exited process)")
        }
        var header = readHeader(config)
        var waited = 0.0
        while header?.magic != configMagic && waited < initTimeout {
            usleep(100_000)
            waited += 0.1
            header = readHeader(config)
        }
        guard let header, header.magic == configMagic else {
            throw ScopeError(.usageOrAttach,
                             "the DPDK primary (pid \(pid), file-prefix '\(prefix)') has not finished initialising; try again")
        }
        if let mismatch = versionMismatch(primary: header.version, ours: expectedVersion, pid: pid) {
            throw ScopeError(.usageOrAttach, mismatch)
        }
        let argv = ProcessFiles.readBytes("/proc/\(pid)/cmdline")?
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) } ?? []
        return PrimaryProcess(prefix: prefix, runtimeDirectory: directory, pid: pid,
                              version: header.version, commandLine: argv)
    }

    /// The pid holding EAL's write lock on the config file. Asking for a read
    /// lock means only a writer (the primary) can conflict, never another
    /// secondary.
    public static func lockHolder(ofConfig path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var query = flock()
        query.l_type = Int16(F_RDLCK)
        query.l_whence = Int16(SEEK_SET)
        query.l_start = 0
        query.l_len = 0
        guard fcntl(fd, F_GETLK, &query) == 0, query.l_type != Int16(F_UNLCK) else { return nil }
        return query.l_pid
    }

    public static func isAlive(pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    static func readHeader(_ path: String) -> (magic: UInt32, version: UInt32)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var words: (UInt32, UInt32) = (0, 0)
        let n = withUnsafeMutableBytes(of: &words) { read(fd, $0.baseAddress, 8) }
        return n == 8 ? (words.0, words.1) : nil
    }

    /// Why a secondary with DPDK `ours` cannot attach to a primary running
    /// `primary` (both RTE_VERSION codes), or nil when it can. Checked
    /// before EAL runs, which would otherwise fail with a log dump (or, for
    /// a release whose shared structures differ, worse).
    ///
    /// A secondary must be built against the primary's release (year.month):
    /// shared-memory structures, pdump requests and mbuf contents differ
    /// between releases. EAL goes further and compares the whole code, so a
    /// different point release of the same LTS is refused too, with its own
    /// message: there, matching the installed DPDK libraries is enough.
    public static func versionMismatch(primary: UInt32, ours: UInt32, pid: Int32) -> String? {
        guard primary != ours else { return nil }
        if releaseString(primary) != releaseString(ours) {
            return "DPDK version mismatch: the primary (pid \(pid)) runs DPDK \(versionString(primary)); "
                + "this dpdkscope is built against DPDK \(versionString(ours)): use a dpdkscope built against DPDK \(releaseString(primary))"
        }
        return "DPDK version mismatch: the primary (pid \(pid)) runs DPDK \(versionString(primary)) and this dpdkscope loads DPDK \(versionString(ours)) "
            + "(EAL accepts only the identical point release): install the primary's DPDK \(versionString(primary)) libraries, or restart the primary on \(versionString(ours))"
    }

    /// The release (year.month, e.g. "24.11") of an RTE_VERSION code.
    public static func releaseString(_ code: UInt32) -> String {
        "\(code >> 24).\(String(format2: (code >> 16) & 0xFF))"
    }

    /// RTE_VERSION_NUM(year, month, minor, release) as "22.11.11".
    public static func versionString(_ code: UInt32) -> String {
        "\(code >> 24).\(String(format2: (code >> 16) & 0xFF)).\((code >> 8) & 0xFF)"
    }
}

extension String {
    init(format2 value: UInt32) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}

/// Preconditions of any attach that EAL would otherwise report badly.
public enum AttachPreconditions {
    public static func checkRoot() throws {
        guard geteuid() == 0 else {
            throw ScopeError(.usageOrAttach,
                             "dpdkscope must run as root: attaching to a DPDK primary maps its hugepages and reads /proc/PID/mem")
        }
    }

    /// hugetlbfs must be mounted in our mount namespace, or EAL cannot map the
    /// primary's hugepage files.
    public static func checkHugetlbfs(mounts: String? = ProcessFiles.readText("/proc/mounts")) throws {
        let mounted = (mounts ?? "").split(separator: "\n").contains {
            $0.split(separator: " ").dropFirst(2).first == "hugetlbfs"
        }
        guard mounted else {
            throw ScopeError(.usageOrAttach,
                             "no hugetlbfs is mounted: run hugepages/reserve.sh (or mount -t hugetlbfs nodev /dev/hugepages)")
        }
    }
}
