import CDPDK
import Logging
import ScopeCore

/// Options every command shares to reach the primary.
public struct AttachOptions: Sendable {
    public var filePrefix: String
    /// EAL --lcores for our own process; nil picks one automatically.
    public var lcores: String?
    public var logLevel: EALArguments.LogLevel
    public var extraEAL: String
    /// Diagnostics only: leave our ops table as the linker built it, to
    /// reproduce what dpdk-dumpcap experiences (DPDK bug 1073).
    public var skipOpsAlignment: Bool
    /// --multi: worker lcores wanted besides the main one (0: none; nil:
    /// one per CPU the primary is not busy-polling). Ignored with `lcores`.
    public var workers: Int?

    public init(filePrefix: String, lcores: String?, logLevel: EALArguments.LogLevel, extraEAL: String,
                skipOpsAlignment: Bool = false, workers: Int? = 0) {
        self.workers = workers
        self.filePrefix = filePrefix
        self.lcores = lcores
        self.logLevel = logLevel
        self.extraEAL = extraEAL
        self.skipOpsAlignment = skipOpsAlignment
    }
}

/// A live secondary attachment. EAL allows one init per process, so there is
/// exactly one of these, created on the main thread before any concurrency.
public struct Attachment: Sendable {
    public let primary: PrimaryProcess
    public let lcores: String
    /// nil when the ops tables could be aligned (or already matched);
    /// otherwise why not, so later checks can name the risk.
    public let opsAlignmentProblem: String?
    public let pdumpAvailable: Bool
    /// The primary's mempool ops, in its order, once ours match them; nil
    /// when they could not be read or aligned (then only dumpcap's
    /// `ring_mp_mc` is assumed: see `CapturePoolOps`).
    public let alignedOpsNames: [String]?

    /// The primary is still there (EAL's own check: its config lock is held).
    /// Called from every worker lcore, so the path is always ours: with nil,
    /// EAL formats its path into one static buffer, and two threads doing so
    /// at once could open a half-written name and report a live primary dead
    /// (seen as a false "primary exited" in `watch --multi`, DPDK 22.11–25.11).
    /// A dead answer is remembered in `PrimaryLiveness`.
    public var primaryAlive: Bool {
        if PrimaryLiveness.knownGone { return false }
        let alive = primary.configPath.withCString { rte_eal_primary_proc_alive($0) } != 0
        if !alive { PrimaryLiveness.noteGone() }
        return alive
    }

    /// EAL cleanup takes the shared hotplug lock and talks to the primary:
    /// skipped when it is gone (see `PrimaryLiveness`).
    public func detach() {
        guard primaryAlive else { return }
        rte_eal_cleanup()
    }
}

public enum EAL {
    /// Runs every precondition check, then rte_eal_init as a secondary, then
    /// aligns the mempool ops table. Each failure is one ScopeError line.
    public static func attach(_ options: AttachOptions, requirePdump: Bool, logger: Logger) throws -> Attachment {
        try AttachPreconditions.checkRoot()
        try AttachPreconditions.checkHugetlbfs()
        // Checked against the loaded libraries' version, which is what EAL
        // compares (the headers we were built with may be older).
        let primary = try PrimaryProcess.locate(prefix: options.filePrefix, expectedVersion: cdpdk_library_version())
        logger.debug("primary found", metadata: ["pid": "\(primary.pid)", "version": "\(PrimaryProcess.versionString(primary.version))"])

        let layout = MempoolOpsAlignmentApplier.layout
        let primaryOps = Result { try PrimaryOpsTable.read(pid: primary.pid, layout: layout) }

        let lcores: String
        if let chosen = options.lcores {
            lcores = chosen
        } else {
            let threads = LcoreChoice.primaryThreads(pid: primary.pid)
            let allowed = LcoreChoice.ownAllowedCPUs()
            let workers = options.workers ?? max(1, LcoreChoice.idleCPUCount(threads: threads, allowedCPUs: allowed))
            let choices = LcoreChoice.chooseMany(workers: workers, threads: threads,
                                                 primaryCommandLine: primary.commandLine, allowedCPUs: allowed)
            lcores = LcoreChoice.ealValue(choices)
            logger.debug("own lcores chosen", metadata: ["lcores": "\(lcores)", "why": "\(choices[0].reason)"])
        }
        let arguments = EALArguments(
            filePrefix: options.filePrefix, lcores: lcores, logLevel: options.logLevel,
            pciArguments: EALArguments.pciArguments(primaryCommandLine: primary.commandLine,
                                                    boundDevices: EALArguments.userspaceBoundPCIDevices()),
            extra: try EALArguments.splitWords(options.extraEAL))
        logger.debug("EAL argv", metadata: ["argv": "\(arguments.argv.joined(separator: " "))"])
        // EAL maps the primary's config at its full size; one cut short makes
        // it fault (SIGBUS) mid-init, and the shim turns that into this line.
        let busFault = "dpdkscope: the primary's runtime config \(primary.configPath) is shorter than DPDK "
            + "\(PrimaryProcess.versionString(primary.version)) maps it (truncated or not written by a primary): EAL could not attach\n"
        try initialize(argv: arguments.argv, busFaultLine: busFault, logger: logger)
        // 25.11 and later expect every secondary to answer pdump's requests;
        // a no-op before. Only when the primary has pdump: against one that
        // has not, 25.11's init logs its own line ("cannot find pdump
        // statistics") before ours below.
        let pdump = cdpdk_pdump_stats_available()
        if pdump { _ = cdpdk_pdump_secondary_init() }

        var problem: String?
        var alignedNames: [String]?
        switch primaryOps {
        case .success where options.skipOpsAlignment:
            problem = "skipped on request (--skip-ops-alignment)"
        case .success(let (names, location)):
            do {
                let before = MempoolOpsAlignmentApplier.ownNames()
                let plan = try MempoolOpsAlignmentApplier.align(toPrimary: names)
                alignedNames = names
                logger.debug("mempool ops aligned", metadata: [
                    "table": "\(location.definedIn)@0x\(String(location.address, radix: 16))",
                    "primary": "\(names)", "ours-before": "\(before)", "identity": "\(plan.isIdentity)"])
            } catch {
                problem = "\(error)"
            }
        case .failure(let error):
            problem = "\(error)"
        }
        if let problem {
            logger.warning("cannot align mempool ops with the primary (\(problem)); if the primary numbers its ops differently, every packet copy will fail and be counted as nombuf (DPDK bug 1073)")
        }

        if requirePdump && !pdump {
            rte_eal_cleanup()
            throw ScopeError(.usageOrAttach,
                             "the primary (pid \(primary.pid)) never called rte_pdump_init(): it cannot serve captures (its 'rte_pdump_stats' memzone does not exist)")
        }
        return Attachment(primary: primary, lcores: lcores, opsAlignmentProblem: problem, pdumpAvailable: pdump,
                          alignedOpsNames: alignedNames)
    }

    /// rte_eal_init with DPDK's log captured, so failure is one line; a bus
    /// fault during it prints `busFaultLine` and exits 2 (see the shim).
    static func initialize(argv: [String], busFaultLine: String, logger: Logger) throws {
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } // EAL keeps these pointers
        cArgs.append(nil)
        _ = cdpdk_log_capture_begin()
        let status = cArgs.withUnsafeMutableBufferPointer {
            cdpdk_eal_init_guarded(Int32(argv.count), $0.baseAddress, busFaultLine)
        }
        let errnum = cdpdk_errno()
        let captured = cdpdk_log_capture_end().map { pointer -> String in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? ""
        for line in captured.split(separator: "\n") { logger.debug("\(line)") }
        if status < 0 {
            let last = captured.split(separator: "\n").last { !$0.isEmpty }.map { ": \($0)" } ?? ""
            throw ScopeError(.usageOrAttach,
                             "EAL could not attach as a secondary (\(String(cString: rte_strerror(errnum))))\(last)")
        }
    }
}
