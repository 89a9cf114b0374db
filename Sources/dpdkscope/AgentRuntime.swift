import CDPDK
import Logging
import ScopeAnalyzers
import ScopeConfig
import ScopeCore
import ScopeDecode
import ScopeDPDK
import ScopeExport
import ScopeLive
import ScopeMetrics
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// One agent run, the dumpcap pass stretched over the agent's lifetime:
/// attach → enable every capture → loop (analyze, write, serve metrics,
/// reload on SIGHUP) → flush and clean up. A dying primary ends the run;
/// with --wait-for-primary the command then starts over in a fresh process.
struct AgentRuntime {
    /// Thrown after a clean unwind when the agent should re-attach.
    struct ReattachRequest: Error {}

    let path: String
    let configuration: AgentConfiguration
    let waitForPrimary: Bool
    let quiet: Bool

    func run() throws {
        let logger = Self.makeLogger(configuration.attach.logLevel)
        if waitForPrimary, try !Self.waitForPrimary(prefix: configuration.attach.filePrefix, quiet: quiet) { return }
        if configuration.outputs.dumpfile.enabled { crashGuard = CrashTruncationGuard.start() }
        let allowedCPUs = LcoreChoice.ownAllowedCPUs()  // before EAL pins this thread to the main lcore
        let attachment: Attachment
        do {
            attachment = try EAL.attach(
                AttachOptions(filePrefix: configuration.attach.filePrefix, lcores: configuration.attach.lcores,
                              logLevel: configuration.attach.logLevel, extraEAL: configuration.attach.eal,
                              skipOpsAlignment: false, workers: configuration.attach.workers),
                requirePdump: true, logger: logger)
        } catch let error as ScopeError where waitForPrimary && error.status == .usageOrAttach {
            // A primary that is still starting (no pdump yet) fails here
            // after EAL is up; only a new process can try again.
            if !quiet { writeStderr("dpdkscope agent: \(error.message); retrying\n") }
            sleep(1)
            throw ReattachRequest()
        }
        defer { attachment.detach() }
        ProcessSignals.installReloadHandler()

        let lcores = configuration.attach.workers == 0 ? [] : Array(AgentWorkers.lcores().prefix(configuration.attach.workers))
        if configuration.attach.workers > 0 && lcores.isEmpty {
            throw ScopeError(.usageOrAttach, "attach.workers needs worker lcores besides the main one; attach.lcores lists only one")
        }
        let captures = try AgentCaptures(configuration: configuration, attachment: attachment, workers: lcores.count,
                                         logger: logger)
        defer { captures.release() }
        let dumpfiles = try captures.loops.indices.map { try captures.makeDumpfile(configuration.outputs.dumpfile, loop: $0) }
        let (metrics, server) = try Self.startMetrics(configuration)
        defer { server?.stop() }
        var origin = AgentExport.Origin(filePrefix: configuration.attach.filePrefix, primaryPID: Int(attachment.primary.pid),
                                        ports: captures.ports.map(\.name))
        if configuration.outputs.otlp.enabled || configuration.outputs.kafka.enabled || configuration.outputs.remoteWrite.enabled {
            // The capture loops run on the worker lcores, or else on this (the main lcore's) thread.
            let captureCPUs = captures.onWorkers ? lcores.compactMap(LcoreLoops.cpu(of:)) : ExportAffinity.current()
            origin.exportCPUs = AgentExport.exportCPUs(allowed: allowedCPUs, capture: captureCPUs,
                                                       primaryPID: attachment.primary.pid, quiet: quiet)
        }
        let exports = try AgentExport.start(configuration, origin: origin, metrics: metrics, quiet: quiet)
        AgentOutputs.replaceExports(exports.events)
        var reloader = AgentReloader(path: path, running: configuration, server: server, metrics: metrics,
                                     exports: exports, origin: origin, quiet: quiet)
        // A run that throws (a capture or output failure) still flushes the
        // exports into their spool; the normal path stops them earlier, to
        // print their counts with the summary.
        var exportsStopped = false
        defer { if !exportsStopped { reloader.exports.stop(quiet: quiet) } }
        // After the exports are installed: whether loops stage JSON lines depends on them.
        let outputs = try AgentOutputs(plan: .init(configuration))
        let analyses = captures.loops.indices.map { index in
            AgentAnalysis(settings: .init(configuration), outputs: outputs, metrics: metrics, sessions: captures.loops[index],
                          dumpfile: dumpfiles[index], worker: index)
        }
        try captures.start()
        CaptureLoop.prepare(packetLimit: nil)
        let outcome: CaptureLoop.Outcome
        let outcomes: [CaptureLoop.Outcome?]
        if captures.onWorkers {
            let runner = AgentWorkers(captures: captures, analyses: analyses, dumpfiles: dumpfiles, lcores: lcores,
                                      attachment: attachment, logger: logger)
            if !quiet { writeStderr(startMessage(captures: captures, server: server, attachment: attachment, workers: runner)) }
            outcome = try runner.run { reloader.reload { runner.apply($0) } }
            outcomes = runner.outcomes
        } else {
            let analysis = analyses[0]
            analysis.control = { [unowned analysis] in
                if ProcessSignals.takeReloadRequest() { reloader.reload { analysis.apply($0) } }
            }
            if !quiet { writeStderr(startMessage(captures: captures, server: server, attachment: attachment, workers: nil)) }
            let loop = CaptureLoop(sessions: captures.loops[0], writer: dumpfiles[0], observer: analysis,
                                   interfacePorts: captures.ports.map(\.id), limits: .init(), logger: logger, progress: nil)
            outcome = try loop.run()
            outcomes = [outcome]
        }
        analyses.forEach { $0.finish() }
        analyses.first?.outputs.destination.close()
        AgentOutputs.replaceExports([])
        reloader.exports.stop(quiet: quiet)
        exportsStopped = true
        for (dumpfile, own) in zip(dumpfiles, outcomes) where own?.reason != .outputClosed { try dumpfile?.close() }
        reloader.server?.stop()
        if !quiet {
            writeStderr("Transactions: \(analyses.reduce(0) { $0 &+ $1.transactions })\n")
            writeStderr(CaptureReport(sessions: captures.sessions, ports: captures.ports)
                .summary(.init(packets: outcome.packets), outcome: outcome))
        }
        if let error = analyses.lazy.compactMap(\.stopError).first { throw error }
        if outcome.reason == .primaryExited {
            if waitForPrimary { throw ReattachRequest() }
            throw PrimaryExit.error(attachment.primary)
        }
    }

    private func startMessage(captures: AgentCaptures, server: MetricsServer?, attachment: Attachment,
                              workers: AgentWorkers?) -> String {
        var text = "dpdkscope agent: attached to pid \(attachment.primary.pid); capturing \(captures.sessions.flatMap(\.tuples).map(\.description).joined(separator: ", "))\n"
        if let workers { text += "dpdkscope agent: workers \(workers.layout(captures))\n" }
        if let server, let port = server.boundPort { text += "dpdkscope agent: metrics on http://\(configuration.outputs.metrics.address):\(port)/metrics\n" }
        if configuration.outputs.file.enabled { text += "dpdkscope agent: events to \(configuration.outputs.file.path)\n" }
        return text
    }

    /// The metrics and their server, when the configuration enables them.
    /// `kept`: the process's metrics from before a reload, given the new
    /// label settings in place rather than replaced, so their counters
    /// never go back to zero (`AgentMetrics.relabel`).
    static func startMetrics(_ configuration: AgentConfiguration,
                             kept: AgentMetrics? = nil) throws -> (AgentMetrics?, MetricsServer?) {
        let settings = configuration.outputs.metrics
        guard settings.enabled else { return (nil, nil) }
        let metrics = kept ?? AgentMetrics(policy: .init(settings))
        metrics.relabel(.init(settings))
        let server = MetricsServer(host: settings.address, port: Int(settings.port), metrics: metrics)
        do {
            try server.start()
        } catch {
            throw ScopeError(.failure, "\(error)")
        }
        return (metrics, server)
    }

    static func makeLogger(_ level: EALArguments.LogLevel) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level.swiftLogLevel
            return handler
        }
        return Logger(label: "dpdkscope")
    }

    /// Polls for the primary's config lock; false when a stop signal came
    /// first. A primary of another DPDK release is an error at once: waiting
    /// would never end.
    static func waitForPrimary(prefix: String, quiet: Bool) throws -> Bool {
        var told = false
        while ProcessSignals.stopSignal == 0 {
            do {
                _ = try PrimaryProcess.locate(prefix: prefix, expectedVersion: cdpdk_headers_version(), initTimeout: 0)
                return true
            } catch let error as ScopeError where error.message.hasPrefix("DPDK version mismatch") {
                throw error
            } catch {
                // Not there yet (or still initialising): keep waiting.
            }
            if !told, !quiet { writeStderr("dpdkscope agent: waiting for a DPDK primary with file-prefix '\(prefix)'\n") }
            told = true
            usleep(250_000)
        }
        return false
    }

    /// Replaces this process with a fresh agent (same arguments, plus
    /// --wait-for-primary). Every inherited descriptor is closed first: one
    /// left open on the dead primary's hugepage files would pin its memory.
    static func reexecute(waitForPrimary: Bool) -> Never {
        var arguments = CommandLine.arguments
        if waitForPrimary, !arguments.contains("--wait-for-primary") { arguments.append("--wait-for-primary") }
        if let directory = opendir("/proc/self/fd") {
            var descriptors: [Int32] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if let fd = Int32(name), fd > 2 { descriptors.append(fd) }
            }
            closedir(directory)
            for fd in descriptors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        execv("/proc/self/exe", &cArguments)
        Entry.fail(ScopeError(.failure, "cannot restart the agent: \(String(cString: strerror(errno)))"))
    }
}
