import CDPDK
import ScopeAnalyzers
import ScopeCore
import ScopeDecode
import ScopeDPDK
import ScopeLive
import ScopeMetrics
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// The agent's packet observer: decode, track flows and analyze inline in
/// the capture loop (as `watch` does, and for the same reason: a hand-off to
/// another thread would copy every packet out of its mbuf, which costs more
/// than the analyzers), then fan each event out to the outputs and metrics.
///
/// Control work rides on `idle()`, which the loop calls whenever the ring
/// runs dry and twenty times a second under load: flushing outputs,
/// wall-clock transaction timeouts, once-a-second metric samples, and
/// SIGHUP reloads.
final class AgentAnalysis: PacketObserver {
    struct Settings {
        var analyzers: AnalyzerConfiguration
        var streams: TCPStreamReassembler.Configuration
        var flows: FlowTable.Configuration
        var reportFlows: Bool
    }

    @exclusivity(unchecked) private var pipeline: PacketPipeline
    @exclusivity(unchecked) private var engine: AnalysisEngine
    /// Under overload, a share of the flows only (see AnalysisAdmission).
    @exclusivity(unchecked) private var admission = AnalysisAdmission()
    private(set) var settings: Settings
    private(set) var outputs: AgentOutputs
    private(set) var metrics: AgentMetrics?
    private let sessions: [CaptureSession]
    private let dumpfile: CaptureFileWriter?
    /// Asked on SIGHUP; returns what to apply, or nil to keep running as is.
    var reload: (() -> Void)?
    private var nextSample: UInt64 = 0
    private var dequeuedBytes: UInt64 = 0
    private var dequeuedPackets: UInt64 = 0
    private(set) var transactions: UInt64 = 0
    private(set) var stopError: ScopeError?

    init(settings: Settings, outputs: AgentOutputs, metrics: AgentMetrics?, sessions: [CaptureSession],
         dumpfile: CaptureFileWriter?) {
        self.settings = settings
        self.outputs = outputs
        self.metrics = metrics
        self.sessions = sessions
        self.dumpfile = dumpfile
        pipeline = PacketPipeline(configuration: .init(flows: settings.flows))
        engine = AnalysisEngine(configuration: settings.analyzers, streams: settings.streams)
    }

    func observe(_ packet: UnsafeRawBufferPointer, timestamp: UInt64, port: UInt16) {
        dequeuedPackets &+= 1
        dequeuedBytes &+= UInt64(packet.count)
        guard admission.admits(ethernetFrame: packet) else { return }
        pipeline.process(packet, linkType: .ethernet, timestamp: timestamp, inspect: { decoded, bytes, _ in
            engine.process(decoded, bytes: bytes, timestamp: timestamp) { self.deliver($0) }
        }, emit: { flow in
            if self.settings.reportFlows { self.outputs.stage(flow) }
        })
    }

    func ringFill(_ meanFill: Double) { admission.update(meanRingFill: meanFill) }

    func idle() {
        engine.advance(to: CaptureClock.realtimeNanoseconds()) { deliver($0) }
        outputs.flush()
        if let failure = outputs.failure, stopError == nil {
            stopError = failure
            cdpdk_workers_request_stop()
        }
        if cdpdk_take_reload_request() != 0 { reload?() }
        let now = CaptureClock.monotonicNanoseconds()
        if now >= nextSample {
            nextSample = now + 1_000_000_000
            sample()
        }
    }

    /// End of capture: closes every connection, reports what is pending.
    func finish() {
        engine.finish { deliver($0) }
        if settings.reportFlows { pipeline.finish { outputs.stage($0) } }
        sample()
        outputs.flush()
    }

    /// A reload. New protocols, limits or redaction start a new engine, new
    /// flow settings a new pipeline; the old ones report what they hold
    /// first (pending transactions, final flows), so nothing is dropped
    /// silently. New outputs or metrics replace the old ones.
    func apply(settings new: Settings, newEngine: Bool, newPipeline: Bool, outputs newOutputs: AgentOutputs?,
               metrics newMetrics: AgentMetrics??) {
        if newEngine || newPipeline {
            engine.finish { deliver($0) }
            engine = AnalysisEngine(configuration: new.analyzers, streams: new.streams)
        }
        if newPipeline {
            if settings.reportFlows { pipeline.finish { outputs.stage($0) } }
            pipeline = PacketPipeline(configuration: .init(flows: new.flows))
        }
        settings = new
        if let newOutputs {
            outputs.close()
            outputs = newOutputs
        }
        if let newMetrics { metrics = newMetrics }
    }

    var statsFields: [(String, UInt64)] { engine.statsFields + admission.statsFields }

    private func deliver(_ event: TransactionEvent) {
        transactions &+= 1
        metrics?.record(event)
        outputs.stage(event)
    }

    /// Once a second: cumulative capture, decoder and analyzer counters.
    /// pdump counts per tuple; what the loop counts (dequeued, written) and
    /// the ring's fill exist per ring, so they ride on the first tuple of
    /// each ring (sums over tuples stay exact). The loop's totals are not
    /// split by ring either: they go with the first ring.
    private func sample() {
        guard let metrics else { return }
        var samples: [CaptureSample] = []
        for (index, session) in sessions.enumerated() {
            for (position, tuple) in session.tuples.enumerated() {
                let counters = session.counters(tuple)
                var sample = CaptureSample(port: tuple.portName, queue: tuple.queue, direction: tuple.direction.rawValue,
                                           accepted: counters.accepted, filtered: counters.filtered,
                                           nombuf: counters.nombuf, ringfull: counters.ringfull)
                if position == 0 {
                    sample.ringOccupancy = session.ringOccupancy
                    sample.ringCapacity = session.ringCapacity
                    if index == 0 {
                        sample.dequeuedPackets = dequeuedPackets
                        sample.dequeuedBytes = dequeuedBytes
                        sample.writtenPackets = dumpfile?.totalPackets ?? 0
                        sample.writtenBytes = dumpfile?.totalBytes ?? 0
                    }
                }
                samples.append(sample)
            }
        }
        metrics.updateCapture(samples)
        let decoder = pipeline.counters, flows = pipeline.flows.counters
        metrics.updateDecoder(errorsByReason: DecodeError.allCases.filter(\.isMalformation).map { ("\($0)", decoder[$0]) },
                              flowsActive: flows.active, flowsCreated: flows.created, flowsEvicted: flows.evicted)
        metrics.updateAnalyzer(statsFields)
        metrics.updateProcess()
    }
}
