import Foundation
import ScopeConfig
import ScopeCore
import ScopeExport
import ScopeMetrics

/// The agent's export outputs, built once per run from the configuration:
/// OTLP and Kafka (fed the same JSON lines as the event file,
/// `AgentOutputs.write`) and remote-write (which reads the `/metrics`
/// exposition itself). A reload that changes them (or turns the metrics
/// remote-write reads on or off) stops the old ones first, their backlog going to
/// the spool, then starts the new ones, which send it: two exporters never
/// share a spool (its lock enforces that).
struct AgentExport {
    /// Who the resource attributes name; kept for a reload's restart.
    struct Origin {
        var filePrefix: String
        var primaryPID: Int
        var ports: [String]
        /// CPUs the export threads are created on (`ExportAffinity`); nil:
        /// no CPU to spare, they stay where the creating thread is.
        var exportCPUs: [Int]? = nil
    }

    var otlp: OTLPOutput?
    var kafka: KafkaOutput?
    var remoteWrite: RemoteWriteOutput?

    /// The outputs fed event lines.
    var events: [any EventExport] { [otlp as (any EventExport)?, kafka].compactMap { $0 } }

    var exporters: [Exporter] { events.flatMap(\.exporters) + (remoteWrite.map { [$0.exporter] } ?? []) }

    static func kafkaSettings(_ kafka: AgentConfiguration.Outputs.Kafka) -> KafkaOutput.Settings {
        .init(producer: .init(brokers: kafka.brokers, compression: kafka.compression.rawValue, acks: kafka.acks.rawValue,
                              timeout: kafka.timeout.seconds, properties: kafka.properties),
              topic: kafka.topic, batchSize: kafka.batchSize, interval: kafka.interval.seconds, queueCapacity: kafka.queueSize)
    }

    /// Creates and starts the outputs on `origin.exportCPUs`: every thread
    /// they start inherits those CPUs (`ExportAffinity`). `counters`: a
    /// reload's old outputs' (`ExportCounters.byOutput`), so an output kept
    /// under the same name never shows its counters going back to zero.
    static func start(_ configuration: AgentConfiguration, origin: Origin, metrics: AgentMetrics?,
                      counters: [String: ExportCounters] = [:], quiet: Bool) throws -> AgentExport {
        try ExportAffinity.inherited(by: origin.exportCPUs) {
            try startOutputs(configuration, origin: origin, metrics: metrics, counters: counters, quiet: quiet)
        }
    }

    /// The export threads' CPUs: any the process may use that neither a
    /// capture loop nor the primary's busy polling takes. Said once.
    static func exportCPUs(allowed: [Int], capture: [Int], primaryPID: Int32, quiet: Bool) -> [Int]? {
        let busy = LcoreChoice.busyCPUs(LcoreChoice.primaryThreads(pid: primaryPID))
        let spare = ExportAffinity.spareCPUs(allowed: allowed, capture: Set(capture), primaryBusy: busy)
        if !quiet {
            func list(_ cpus: [Int]) -> String { cpus.isEmpty ? "none" : cpus.map(String.init).joined(separator: ",") }
            let layout = "capture on CPU \(list(capture)), primary busy-polling CPU \(list(busy.sorted()))"
            if let spare {
                writeStderr("dpdkscope agent: export threads on CPU \(spare.map(String.init).joined(separator: ",")) (\(layout))\n")
            } else {
                writeStderr("dpdkscope agent: no CPU to spare for the export threads (\(layout)): they stay on the main thread's CPU\n")
            }
        }
        return spare
    }

    private static func startOutputs(_ configuration: AgentConfiguration, origin: Origin, metrics: AgentMetrics?,
                                     counters: [String: ExportCounters], quiet: Bool) throws -> AgentExport {
        let (filePrefix, primaryPID, ports) = (origin.filePrefix, origin.primaryPID, origin.ports)
        let outputs = configuration.outputs
        let spool = outputs.spool.enabled ? OTLPOutput.SpoolSettings(directory: outputs.spool.path, maxBytes: outputs.spool.maxBytes) : nil
        let log: @Sendable (String) -> Void = { line in writeStderr("dpdkscope agent: \(line)\n") }
        var export = AgentExport()
        if outputs.otlp.enabled {
            let otlp = outputs.otlp
            do {
                export.otlp = try OTLPOutput(
                    settings: .init(endpoint: otlp.endpoint, headers: otlp.headers, traces: otlp.traces, logs: otlp.logs,
                                    batchSize: otlp.batchSize, interval: otlp.interval.seconds, timeout: otlp.timeout.seconds,
                                    queueCapacity: otlp.queueSize, trustFile: otlp.tlsCAFile),
                    spool: spool, resource: OTLPResource(filePrefix: filePrefix, primaryPID: primaryPID, ports: ports),
                    counters: counters, log: log)
            } catch {
                throw Self.failure("outputs.otlp", error)
            }
            export.otlp?.start()
            if !quiet { writeStderr("dpdkscope agent: OTLP to \(ResponseText.redactingUserInfo(otlp.endpoint))\n") }
        }
        if outputs.kafka.enabled {
            do {
                export.kafka = try KafkaOutput(settings: kafkaSettings(outputs.kafka), spool: spool, counters: counters, log: log)
            } catch {
                export.stop(quiet: true)
                throw Self.failure("outputs.kafka", error)
            }
            export.kafka?.start()
            if !quiet { writeStderr("dpdkscope agent: Kafka to \(outputs.kafka.brokers.joined(separator: ",")) topic \(outputs.kafka.topic)\n") }
        }
        if outputs.remoteWrite.enabled, let metrics {
            let push = outputs.remoteWrite
            var labels = push.externalLabels
            if labels["host"] == nil { labels["host"] = ProcessInfo.processInfo.hostName }
            do {
                export.remoteWrite = try RemoteWriteOutput(
                    settings: .init(url: push.url, headers: push.headers, externalLabels: labels,
                                    interval: push.interval.seconds, timeout: push.timeout.seconds, trustFile: push.tlsCAFile),
                    spool: spool, source: { metrics.expositionBytes() }, counters: counters, log: log)
            } catch {
                export.stop(quiet: true)
                throw Self.failure("outputs.remote_write", error)
            }
            export.remoteWrite?.start()
            if !quiet { writeStderr("dpdkscope agent: remote-write to \(ResponseText.redactingUserInfo(push.url))\n") }
        }
        let exporters = export.exporters
        metrics?.outputSource = nil
        if !exporters.isEmpty {
            metrics?.outputSource = {
                exporters.map {
                    let counts = $0.counters.snapshot
                    return OutputSample(output: $0.settings.name, sent: counts.sent, retried: counts.retried,
                                        spooled: counts.spooled, dropped: counts.dropped)
                }
            }
        }
        return export
    }

    /// A spool held by another agent has its own exit code (6).
    private static func failure(_ key: String, _ error: any Error) -> ScopeError {
        if error is SpoolInUse { return ScopeError(.spoolInUse, "outputs.spool: \(error)") }
        return ScopeError(.failure, "\(key): \(error)")
    }

    /// SIGTERM, the primary's exit or a failed run: send what can be sent
    /// within each output's timeout, all outputs at once (so the whole stop
    /// takes the longest timeout, not their sum); the rest stays in the spool.
    /// `immediately` (a reload): nothing waits for the backends, the
    /// backlog goes straight to the spool.
    func stop(quiet: Bool, immediately: Bool = false) {
        let group = DispatchGroup()
        if let otlp {
            DispatchQueue.global().async(group: group) { otlp.close(timeout: immediately ? 0 : otlp.settings.timeout) }
        }
        if let kafka {
            DispatchQueue.global().async(group: group) { kafka.close(timeout: immediately ? 0 : kafka.settings.producer.timeout) }
        }
        if let remoteWrite {
            DispatchQueue.global().async(group: group) {
                remoteWrite.close(timeout: immediately ? 0 : remoteWrite.settings.timeout)
            }
        }
        group.wait()
        guard !quiet else { return }
        for exporter in exporters {
            let counts = exporter.counters.snapshot
            writeStderr("dpdkscope agent: output \(exporter.settings.name): sent \(counts.sent), retried \(counts.retried), spooled \(counts.spooled), dropped \(counts.dropped)\n")
        }
    }
}
