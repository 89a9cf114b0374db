import Foundation
import ScopeConfig
import ScopeCore
import ScopeExport
import ScopeMetrics

/// The agent's export outputs (OTLP today), built once per run from the
/// configuration and fed the same JSON lines as the event file
/// (`AgentOutputs.write`). Changes to `outputs.otlp` or `outputs.spool`
/// take effect at the next start: two exporters must never share a spool.
enum AgentExport {
    static func start(_ configuration: AgentConfiguration, filePrefix: String, primaryPID: Int, ports: [String],
                      metrics: AgentMetrics?, quiet: Bool) throws -> OTLPOutput? {
        let otlp = configuration.outputs.otlp
        guard otlp.enabled else { return nil }
        let spool = configuration.outputs.spool
        let output: OTLPOutput
        do {
            output = try OTLPOutput(
                settings: .init(endpoint: otlp.endpoint, headers: otlp.headers, traces: otlp.traces, logs: otlp.logs,
                                batchSize: otlp.batchSize, interval: otlp.interval.seconds, timeout: otlp.timeout.seconds,
                                queueCapacity: otlp.queueSize),
                spool: spool.enabled ? .init(directory: spool.path, maxBytes: spool.maxBytes) : nil,
                resource: OTLPResource(filePrefix: filePrefix, primaryPID: primaryPID, ports: ports),
                log: { line in writeStderr("dpdkscope agent: \(line)\n") })
        } catch {
            throw ScopeError(.failure, "outputs.otlp: \(error)")
        }
        output.start()
        metrics?.outputSource = { [output] in
            output.counts.map {
                OutputSample(output: $0.output, sent: $0.counts.sent, retried: $0.counts.retried,
                             spooled: $0.counts.spooled, dropped: $0.counts.dropped)
            }
        }
        if !quiet { writeStderr("dpdkscope agent: OTLP to \(otlp.endpoint)\n") }
        return output
    }

    /// SIGTERM or the primary's exit: send what can be sent within the
    /// timeout; the rest stays in the spool.
    static func stop(_ output: OTLPOutput?, quiet: Bool) {
        guard let output else { return }
        output.close(timeout: output.settings.timeout)
        if !quiet {
            for (name, counts) in output.counts {
                writeStderr("dpdkscope agent: output \(name): sent \(counts.sent), retried \(counts.retried), spooled \(counts.spooled), dropped \(counts.dropped)\n")
            }
        }
    }
}
