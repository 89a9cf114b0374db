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
/// runs dry and twenty times a second under load: flushing outputs and
/// metrics (a batch each, under one lock: with `attach.workers` there is
/// one of these per worker lcore, sharing outputs and metrics),
/// wall-clock transaction timeouts, once-a-second metric samples, and
/// reloads (`control`).
final class AgentAnalysis: PacketObserver, AnalysisSink {
    struct Settings {
        var analyzers: AnalyzerConfiguration
        var streams: TCPStreamReassembler.Configuration
        var flows: FlowTable.Configuration
        var reportFlows: Bool
    }

    private let core: AnalysisCore
    private(set) var settings: Settings
    /// This loop's events on their way to the shared outputs.
    private(set) var outputs: AgentEventStage
    private(set) var metrics: AgentMetrics?
    /// Events for the metrics, handed over in batches.
    private var metricEvents: [TransactionEvent] = []
    private let sessions: [CaptureSession]
    private let dumpfile: CaptureFileWriter?
    /// The loop's worker index (0 for the single loop): its metrics source.
    let worker: Int
    /// Called at every idle moment, on the loop's thread, to pick up a
    /// reload: the single loop takes SIGHUP itself, a worker looks for the
    /// change the main lcore published (see AgentChangeBoard).
    var control: (() -> Void)?
    private var nextSample: UInt64 = 0
    /// An output failed for good: the capture loop ends.
    private(set) var wantsStop = false
    private(set) var transactions: UInt64 = 0
    private(set) var stopError: ScopeError?

    init(settings: Settings, outputs: AgentOutputs, metrics: AgentMetrics?, sessions: [CaptureSession],
         dumpfile: CaptureFileWriter?, worker: Int = 0) {
        self.settings = settings
        self.outputs = AgentEventStage(outputs)
        self.metrics = metrics
        self.sessions = sessions
        self.dumpfile = dumpfile
        self.worker = worker
        metricEvents.reserveCapacity(Self.metricBatch)
        core = AnalysisCore(analyzers: settings.analyzers, streams: settings.streams, flows: settings.flows,
                            reportsFlows: settings.reportFlows)
    }

    func observe(_ packet: UnsafeRawBufferPointer, timestamp: UInt64, port: UInt16) {
        core.observe(frame: packet, timestamp: timestamp, into: self)
    }

    func ringFill(_ meanFill: Double) { core.ringFill(meanFill) }

    func idle() {
        core.advance(to: CaptureClock.realtimeNanoseconds(), into: self)
        outputs.flush()
        flushMetrics()
        if let failure = outputs.failure, stopError == nil {
            stopError = failure
            wantsStop = true
        }
        control?()
        let now = CaptureClock.monotonicNanoseconds()
        if now >= nextSample {
            nextSample = now + 1_000_000_000
            sample()
        }
    }

    /// End of capture: closes every connection, reports what is pending.
    func finish() {
        core.finish(into: self)
        flushMetrics()
        sample()
        outputs.flush()
    }

    /// A reload, on the loop's thread. New protocols, limits or redaction
    /// start a new engine, new flow settings a new pipeline; the old ones
    /// report what they hold first (pending transactions, final flows), to
    /// the old outputs and metrics, so nothing is dropped silently. New
    /// outputs or metrics replace the old ones (old outputs close once no
    /// loop holds them: RotatingLineFile closes on release).
    func apply(_ change: AgentChange) {
        let new = change.settings
        if change.newEngine || change.newPipeline {
            core.replaceAnalyzers(new.analyzers, streams: new.streams, reportingTo: self)
        }
        if change.newPipeline {
            core.replaceFlows(new.flows, reportsFlows: new.reportFlows, reportingTo: self)
        }
        settings = new
        if let next = change.outputs { outputs.retarget(next) }
        if let next = change.metrics {
            flushMetrics()
            metrics = next
        }
    }

    var statsFields: [(String, UInt64)] { core.statsFields }

    private static let metricBatch = 512

    func receive(_ event: TransactionEvent) {
        transactions &+= 1
        if metrics != nil {
            metricEvents.append(event)
            if metricEvents.count >= Self.metricBatch { flushMetrics() }
        }
        outputs.stage(event)
    }

    func receive(_ flow: FlowEvent) { outputs.stage(flow) }

    private func flushMetrics() {
        guard !metricEvents.isEmpty else { return }
        metrics?.record(metricEvents)
        metricEvents.removeAll(keepingCapacity: true)
    }

    /// Once a second: cumulative capture, decoder and analyzer counters.
    /// pdump counts per tuple; what the loop counts (dequeued, written) and
    /// the ring's fill exist per ring, so they ride on the first tuple of
    /// each ring (sums over tuples stay exact). The loop's totals are not
    /// split by ring either: they go with its first ring. Workers own
    /// disjoint tuples, so no two loops feed one capture series.
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
                        sample.dequeuedPackets = core.frames
                        sample.dequeuedBytes = core.frameBytes
                        sample.writtenPackets = dumpfile?.totalPackets ?? 0
                        sample.writtenBytes = dumpfile?.totalBytes ?? 0
                    }
                }
                samples.append(sample)
            }
        }
        metrics.updateCapture(samples)
        let decoder = core.decodeCounters, flows = core.flowCounters
        metrics.updateDecoder(errorsByReason: DecodeError.allCases.filter(\.isMalformation).map { ("\($0)", decoder[$0]) },
                              flowsActive: flows.active, flowsCreated: flows.created, flowsEvicted: flows.evicted,
                              source: worker)
        metrics.updateAnalyzer(statsFields, source: worker)
        metrics.updateProcess()
    }
}
