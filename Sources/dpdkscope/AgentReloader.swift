import ScopeConfig
import ScopeCore
import ScopeExport
import ScopeMetrics

/// What a reload changes in each capture loop (`AgentAnalysis.apply`).
struct AgentChange {
    var settings: AgentAnalysis.Settings
    var newEngine: Bool
    var newPipeline: Bool
    /// New event outputs, shared by every loop; nil keeps the old ones.
    var outputs: AgentOutputs?
    /// Metrics turned on (`.some(metrics)`) or off (`.some(nil)`); nil
    /// keeps what the loops have. Other metrics changes happen in place.
    var metrics: AgentMetrics??
}

/// SIGHUP: read the file again and apply what can change under a running
/// capture — protocols, limits, redaction, flow reporting, event outputs,
/// metrics, exports (OTLP, remote-write, Kafka, spool). Attach (workers included), captures, ring and dumpfile need
/// new rings or a new EAL, so a change there is reported and left for a
/// restart. A file that no longer validates changes nothing.
struct AgentReloader {
    let path: String
    private(set) var running: AgentConfiguration
    private(set) var server: MetricsServer?
    /// The metrics now served (remote-write reads them); nil while off.
    private(set) var metrics: AgentMetrics?
    /// The process's one metrics instance, kept while metrics are off so
    /// that turning them on again counts on from where they were.
    private var keptMetrics: AgentMetrics?
    private(set) var exports: AgentExport
    /// Every export output's counters by name, kept across reloads: an
    /// output that comes back (after a failed restart, or removed and added
    /// again) counts on from where it was, never from zero.
    private var exportCounters: [String: ExportCounters] = [:]
    let origin: AgentExport.Origin
    let quiet: Bool

    init(path: String, running: AgentConfiguration, server: MetricsServer?, metrics: AgentMetrics?, exports: AgentExport,
         origin: AgentExport.Origin, quiet: Bool) {
        self.path = path
        self.running = running
        self.server = server
        self.metrics = metrics
        keptMetrics = metrics
        self.exports = exports
        self.origin = origin
        self.quiet = quiet
    }

    /// `apply` gets the change to every loop and returns once each has it
    /// (at once for the single loop, whose thread this is; for workers
    /// see AgentChangeBoard), so "configuration reloaded" is only said
    /// when all of them run the new settings.
    mutating func reload(apply: (AgentChange) -> Void) {
        let next: AgentConfiguration
        do {
            next = try ConfigCommand.load(path)
        } catch {
            tell("reload failed (\(error)); the running configuration stays")
            return
        }
        guard next != running else { return tell("reload: configuration unchanged") }
        var restartOnly: [String] = []
        if next.attach != running.attach { restartOnly.append("attach") }
        if next.captures != running.captures { restartOnly.append("captures") }
        if next.ring != running.ring { restartOnly.append("ring") }
        if next.outputs.dumpfile != running.outputs.dumpfile { restartOnly.append("outputs.dumpfile") }
        let exportsChanged = next.outputs.otlp != running.outputs.otlp || next.outputs.remoteWrite != running.outputs.remoteWrite
            || next.outputs.kafka != running.outputs.kafka || next.outputs.spool != running.outputs.spool
        let hadExports = AgentOutputs.hasExports
        var outputs: AgentOutputs?
        var metrics: AgentMetrics??
        if next.outputs.metrics != running.outputs.metrics {
            // The server restarts (its address may have changed); the
            // metrics themselves stay, relabelled in place.
            server?.stop()
            server = nil
            var served: AgentMetrics?
            do {
                (served, server) = try AgentRuntime.startMetrics(next, kept: keptMetrics)
            } catch {
                tell("reload: metrics endpoint not restarted (\(error))")
            }
            keptMetrics = served ?? keptMetrics
            if served !== self.metrics {
                metrics = .some(served)
                self.metrics = served
            }
        }
        // Exports restart when they change, and when metrics go on or off:
        // remote-write reads them, and they show the exports' counters.
        if exportsChanged || metrics != nil {
            AgentOutputs.swapExports {
                // Counted after the stop, which spools (and counts) the old backlog.
                exports.stop(quiet: true, immediately: true)
                exportCounters.merge(ExportCounters.byOutput(exports.exporters)) { _, current in current }
                do {
                    exports = try AgentExport.start(next, origin: origin, metrics: self.metrics, counters: exportCounters,
                                                    quiet: quiet)
                } catch {
                    exports = AgentExport()
                    tell("reload: exports not restarted (\(error))")
                }
                return exports.events
            }
        }
        if AgentOutputs.Plan(next) != AgentOutputs.Plan(running) || hadExports != AgentOutputs.hasExports {
            do {
                outputs = try AgentOutputs(plan: .init(next))
            } catch {
                tell("reload: cannot open the new event outputs (\(error)); keeping the old ones")
            }
        }
        let newEngine = next.protocols != running.protocols || next.limits != running.limits
            || next.redactCredentials != running.redactCredentials
        let newPipeline = next.flows != running.flows || next.limits.flowTableSize != running.limits.flowTableSize
        apply(AgentChange(settings: .init(next), newEngine: newEngine, newPipeline: newPipeline, outputs: outputs,
                          metrics: metrics))
        var applied = next
        applied.attach = running.attach
        applied.captures = running.captures
        applied.ring = running.ring
        applied.outputs.dumpfile = running.outputs.dumpfile
        running = applied
        tell("configuration reloaded" + (restartOnly.isEmpty ? "" : "; changes to \(restartOnly.joined(separator: ", ")) take effect after a restart"))
    }

    private func tell(_ text: String) {
        if !quiet { writeStderr("dpdkscope agent: \(text)\n") }
    }
}
