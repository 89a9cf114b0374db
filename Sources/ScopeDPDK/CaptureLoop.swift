import CDPDK
import Logging
import ScopeCore
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// The capture hot loop: dequeue a burst, hand each EPB to the writer
/// (zero-copy iovecs into the mbufs), flush, free, repeat. One thread, no
/// locks, no allocation per packet; control checks ride on the loop.
public struct CaptureLoop {
    public enum StopReason: String, Sendable {
        case packetLimit = "packet limit reached"
        case duration = "duration reached"
        case fileSize = "file size reached"
        case signal = "interrupted"
        case outputClosed = "output closed"
        case primaryExited = "primary exited"
    }

    public struct Outcome: Sendable {
        public var reason: StopReason
        /// Packets still in the ring (or in a callback) when we disabled.
        public var inFlightAtStop: Int
        public var seconds: Double
        /// Packets this loop took from its ring (written or observed).
        public var packets: UInt64

        public init(reason: StopReason, inFlightAtStop: Int, seconds: Double, packets: UInt64 = 0) {
            self.reason = reason
            self.inFlightAtStop = inFlightAtStop
            self.seconds = seconds
            self.packets = packets
        }

        /// The outcome of several loops stopped together (`--multi`, the
        /// agent's workers): the primary's exit if any loop saw it, else the
        /// first reason that is not the shared stop (the worker that hit a
        /// limit stopped the others), packets and in-flight counts summed,
        /// the longest run.
        public static func merged(_ outcomes: [Outcome]) -> Outcome {
            var outcome = outcomes.first { $0.reason == .primaryExited } ?? outcomes.first { $0.reason != .signal }
                ?? outcomes.first ?? Outcome(reason: .signal, inFlightAtStop: 0, seconds: 0)
            outcome.inFlightAtStop = outcomes.reduce(0) { $0 + $1.inFlightAtStop }
            outcome.packets = outcomes.reduce(0) { $0 &+ $1.packets }
            outcome.seconds = outcomes.map(\.seconds).max() ?? 0
            return outcome
        }
    }

    /// Stop conditions each loop checks itself; the packet limit is the
    /// shared budget armed by prepare(packetLimit:).
    public struct Limits: Sendable {
        public var seconds: Double?
        public var fileBytes: UInt64?

        public init(seconds: Double? = nil, fileBytes: UInt64? = nil) {
            self.seconds = seconds
            self.fileBytes = fileBytes
        }
    }

    /// Usually one; the agent polls one session per configured capture
    /// (each has its own filter and snaplen, hence its own ring).
    let sessions: [CaptureSession]
    let writer: CaptureFileWriter?
    let observer: PacketObserver?
    let limits: Limits
    let interfacePorts: [UInt16]
    /// Called at most once a second with packets taken so far.
    let progress: ((UInt64) -> Void)?
    let logger: Logger

    /// `writer` nil: nothing is written (live analysis only); `observer`
    /// sees every packet before it is written.
    public init(session: CaptureSession, writer: CaptureFileWriter?, observer: PacketObserver? = nil,
                interfacePorts: [UInt16], limits: Limits, logger: Logger, progress: ((UInt64) -> Void)?) {
        self.init(sessions: [session], writer: writer, observer: observer, interfacePorts: interfacePorts,
                  limits: limits, logger: logger, progress: progress)
    }

    public init(sessions: [CaptureSession], writer: CaptureFileWriter?, observer: PacketObserver? = nil,
                interfacePorts: [UInt16], limits: Limits, logger: Logger, progress: ((UInt64) -> Void)?) {
        precondition(!sessions.isEmpty, "a capture loop needs a session")
        self.logger = logger
        self.sessions = sessions
        self.writer = writer
        self.observer = observer
        self.limits = limits
        self.progress = progress
        self.interfacePorts = interfacePorts
    }

    /// Pairs a TSC reading with the wall clock. The wall clock is read
    /// between two TSC readings and matched to their midpoint, so the pairing
    /// is off by at most half the (sub-microsecond) gap.
    static func tscClock() -> PrimaryTSCClock? {
        let before = cdpdk_tsc_cycles()
        let now = CaptureClock.realtimeNanoseconds()
        let after = cdpdk_tsc_cycles()
        return PrimaryTSCClock(tscHz: rte_get_tsc_hz(), baseCycles: before &+ (after &- before) / 2, baseNanoseconds: now)
    }

    /// Arms the packet budget every loop of one capture draws from (all
    /// workers of a --multi capture share it). Call once before run().
    public static func prepare(packetLimit: UInt64?) {
        cdpdk_workers_reset(packetLimit ?? .max)
    }

    /// Runs until a limit, a signal, a closed output or the primary's exit.
    /// Always leaves the file complete: on every path the ring is drained
    /// into it (up to the packet limit) before returning.
    public func run() throws -> Outcome {
        let started = monotonicSeconds()
        var nextControl = started
        var nextProgress = started + 1
        var idle = 0
        var polls = 0
        var reason: StopReason?
        let stage: BurstWriter
        switch PrimaryTimestampKind(stampsTSCCycles: cdpdk_pcapng_stamps_tsc_cycles()) {
        case .nanosecondsWithWrapFault:
            stage = BurstWriter(writer: writer, observer: observer, interfacePorts: interfacePorts,
                                clock: PrimaryClockRepair(tscHz: rte_get_tsc_hz(), nowNanoseconds: CaptureClock.realtimeNanoseconds()))
        case .tscCycles:
            // The 22.11 wrap fault cannot happen here (nothing is converted
            // in the primary), so no repair runs.
            stage = BurstWriter(writer: writer, observer: observer, interfacePorts: interfacePorts,
                                clock: nil, tscClock: Self.tscClock())
        }
        defer {
            if let repaired = stage.clock?.repaired, repaired > 0 {
                logger.notice("corrected \(repaired) timestamps the primary stamped 2^64 TSC cycles ahead (DPDK 22.11 pcapng clock fault)")
            }
        }
        let write = stage.consume

        do {
            while reason == nil {
                if try poll(write) == 0 {
                    // The ring is dry: write what is staged so readers of a
                    // pipe or a growing file see packets without delay.
                    if idle == 0 {
                        try writer?.flush()
                        observer?.idle()
                    }
                    idle += 1
                    if idle > 64 { usleep(50) }
                } else {
                    idle = 0
                }
                if stage.budgetExhausted { reason = .packetLimit; break }
                if let maximum = limits.fileBytes, let writer, writer.totalBytes >= maximum { reason = .fileSize; break }
                // The clock is read every 8th busy poll: at 10 Mpps even the
                // vDSO call shows in profiles.
                polls &+= 1
                guard idle > 0 || polls & 7 == 0 else { continue }
                let now = monotonicSeconds()
                guard now >= nextControl else { continue }
                nextControl = now + 0.05
                stage.clock?.advance(nowNanoseconds: CaptureClock.realtimeNanoseconds())
                if let observer, observer.wantsStop { cdpdk_workers_request_stop() }
                if ProcessSignals.stopSignal != 0 || cdpdk_workers_stop_requested() != 0 { reason = .signal }
                if let seconds = limits.seconds, now - started >= seconds { reason = .duration }
                try writer?.rotateIfDue()
                // Twenty times a second, busy or dry: a busy ring never runs
                // dry, and a quiet one goes dry only once; observers flush,
                // expire timeouts, redraw and take reload requests here.
                if let observer {
                    observer.ringFill(sessions.reduce(0) { max($0, $1.takeMeanFill()) })
                    observer.idle()
                }
                if let progress, now >= nextProgress {
                    nextProgress = now + 1
                    progress(stage.packets)
                }
                if now - started >= 0.5 { for session in sessions { try session.checkCopiesArrive(dequeued: stage.packets) } }
                if !sessions[0].attachment.primaryAlive { reason = .primaryExited }
            }
            var inFlight = 0
            for session in sessions { inFlight += try session.stop(draining: write) }
            observer?.idle()
            return Outcome(reason: reason ?? .signal, inFlightAtStop: inFlight, seconds: monotonicSeconds() - started,
                           packets: stage.packets)
        } catch is OutputPipeClosed {
            for session in sessions { session.release() }
            return Outcome(reason: .outputClosed, inFlightAtStop: 0, seconds: monotonicSeconds() - started,
                           packets: stage.packets)
        }
    }

    private func poll(_ write: (UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>) throws -> Void) throws -> Int {
        if sessions.count == 1 { return try sessions[0].poll(write) }
        var taken = 0
        for session in sessions { taken += try session.poll(write) }
        return taken
    }
}
