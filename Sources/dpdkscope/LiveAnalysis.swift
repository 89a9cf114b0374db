import ScopeAnalyzers
import ScopeDecode
import ScopeDPDK
import ScopeLive
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// Live analysis inline in the capture loop: each packet the loop dequeues
/// is decoded, tracked and analyzed right there, before its mbuf goes back.
/// Inline rather than handed to another thread: a hand-off would copy every
/// packet out of the mbuf, and the analyzers cost less per packet than that
/// copy plus the queue traffic. Events are staged in one buffer and written
/// to stdout when it fills or the ring runs dry; or, with a dashboard, they
/// are gathered in a batch handed to the dashboard at the same moments
/// (one lock per batch: `watch --multi` loops share the dashboard), which
/// redraws once a second.
final class LiveAnalysis: PacketObserver, AnalysisSink {
    private let core: AnalysisCore
    @exclusivity(unchecked) private var output = StandardOutput()
    private let json: Bool
    private let dashboard: DashboardHub?
    @exclusivity(unchecked) private var batch = DashboardBatch()
    /// Packets observed: the dashboard's packets/s.
    @exclusivity(unchecked) private var packets: UInt64 = 0
    /// stdout went away (a closed pipe): stop the capture.
    private(set) var outputClosed = false
    /// The dashboard quit or the output closed: the capture loop ends.
    private(set) var wantsStop = false
    private(set) var transactions: UInt64 = 0

    /// Shared by the workers of `watch --multi`: their batches of whole
    /// lines reach stdout one at a time (a pipe interleaves writes over
    /// PIPE_BUF bytes otherwise).
    private let outputLock: OutputLock?

    init(configuration: AnalyzerConfiguration, json: Bool, dashboard: DashboardHub? = nil, outputLock: OutputLock? = nil) {
        core = AnalysisCore(analyzers: configuration)
        self.json = json
        self.dashboard = dashboard
        self.outputLock = outputLock
    }

    func observe(_ packet: UnsafeRawBufferPointer, timestamp: UInt64, port: UInt16) {
        packets &+= 1
        // The loop already calls idle() twenty times a second on a busy
        // ring; this keeps the redraw going should a burst never end.
        if packets & 0xFFFF == 0 { tick() }
        core.observe(frame: packet, timestamp: timestamp, into: self)
        if output.buffer.count >= 1 << 16 { flush() }
    }

    func ringFill(_ meanFill: Double) { core.ringFill(meanFill) }

    /// The loop calls this when the ring runs dry and twenty times a second
    /// while it never does; watch also calls it from the loop's
    /// once-a-second progress, the only call while the ring stays dry (so
    /// timeouts fire and the dashboard redraws without traffic).
    func idle() {
        core.advance(to: CaptureClock.realtimeNanoseconds(), into: self)
        flush()
        tick()
    }

    /// Hands the batch to the dashboard, which reads keys and redraws when
    /// due; a dashboard busy with another loop gets it next time, unless
    /// `wait` (or the batch is full).
    private func tick(wait: Bool = false) {
        guard let dashboard else { return }
        batch.shedPackets = core.admission.shedPackets
        if dashboard.submit(&batch, packets: packets, now: LiveDashboard.monotonicNow(), wait: wait) {
            wantsStop = true
        }
    }

    /// End of capture: closes every connection and reports what is pending.
    func finish() {
        core.finish(into: self)
        flush()
        tick(wait: true)
    }

    var statsFields: [(String, UInt64)] { core.statsFields }

    func receive(_ event: TransactionEvent) {
        transactions &+= 1
        if dashboard != nil {
            batch.record(event)
            if batch.wantsHandOver { tick() }
            return
        }
        event.appendRecord(json: json, to: &output.buffer)
    }

    private func flush() {
        guard !output.buffer.isEmpty else { return }
        guard !outputClosed else { return output.buffer.removeAll(keepingCapacity: true) }
        outputLock?.lock()
        let written = output.flush()
        outputLock?.unlock()
        if !written {
            outputClosed = true
            wantsStop = true
        }
    }
}

/// A plain mutex: taken once per output batch, never per packet.
final class OutputLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}
