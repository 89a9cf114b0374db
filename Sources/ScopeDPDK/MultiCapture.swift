import CDPDK
import Logging
import ScopeCore
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// `capture --multi`: one ring, pool, file and loop per worker lcore, with
/// nothing shared on the per-packet path but the C packet budget (one
/// atomic per burst). The main lcore only watches: signals, the primary,
/// progress; each worker stops itself on the same conditions.
public final class MultiCapture {
    public final class Worker {
        public let lcore: UInt32
        public let tuples: [CaptureTuple]
        public let session: CaptureSession
        /// nil for a worker that only analyzes (watch --multi).
        public let writer: CaptureFileWriter?
        public let observer: PacketObserver?
        let loop: CaptureLoop
        /// How the worker's loop ended; nil for one that failed. Valid once run() returned.
        public fileprivate(set) var outcome: CaptureLoop.Outcome?

        init(lcore: UInt32, tuples: [CaptureTuple], session: CaptureSession, stage: Stage, loop: CaptureLoop) {
            self.lcore = lcore
            self.tuples = tuples
            self.session = session
            self.writer = stage.writer
            self.observer = stage.observer
            self.loop = loop
        }
    }

    /// What one worker does with its packets: write them, analyze them, or both.
    public struct Stage {
        public var writer: CaptureFileWriter?
        public var observer: PacketObserver?

        public init(writer: CaptureFileWriter?, observer: PacketObserver? = nil) {
            self.writer = writer
            self.observer = observer
        }
    }

    public let workers: [Worker]
    let attachment: Attachment

    /// Creates every worker's resources and files, then enables every
    /// tuple; if any step fails, everything already enabled is disabled.
    /// - Parameter makeStage: the file and/or analysis of worker `index`,
    ///   covering `ports`.
    public init(attachment: Attachment, groups: [[CaptureTuple]], settings: CaptureSession.Settings,
                filter: PacketFilter?, takeover: Bool, limits: CaptureLoop.Limits, logger: Logger,
                makeStage: (_ index: Int, _ ports: [UInt16], _ session: CaptureSession) throws -> Stage) throws {
        self.attachment = attachment
        let lcores = LcoreLoops.workerLcores()
        guard !lcores.isEmpty else {
            throw ScopeError(.usageOrAttach, "--multi needs at least one worker lcore besides the main one (use --workers N or --lcores)")
        }
        let used = Array(groups.prefix(lcores.count))
        var built: [Worker] = []
        for (index, tuples) in used.enumerated() {
            let session = try CaptureSession(attachment: attachment, tuples: tuples, settings: settings, filter: filter,
                                             takeover: takeover, logger: logger, instance: index)
            let ports = CaptureSelection.ports(of: tuples)
            let stage = try makeStage(index, ports, session)
            let loop = CaptureLoop(session: session, writer: stage.writer, observer: stage.observer, interfacePorts: ports,
                                   limits: limits, logger: logger, progress: nil)
            built.append(Worker(lcore: lcores[index], tuples: tuples, session: session, stage: stage, loop: loop))
        }
        workers = built
        do {
            for worker in workers { try worker.session.start() }
        } catch {
            workers.forEach { $0.session.release() }
            throw error
        }
    }

    /// Launches every worker, watches until all have stopped, returns the
    /// first worker failure (after all of them are done).
    public func run(progress: (() -> Void)?) throws {
        let loops = LcoreLoops(workers.map { ($0.lcore, $0.loop) })
        var nextProgress = monotonicSeconds() + 1
        try loops.run(attachment: attachment) {
            if let progress, monotonicSeconds() >= nextProgress {
                nextProgress += 1
                progress()
            }
        }
        for (worker, outcome) in zip(workers, loops.outcomes) { worker.outcome = outcome }
        if let failure = loops.firstFailure { throw failure }
    }

    /// Packets written by all workers; valid once run() returned.
    public var packetsWritten: UInt64 { workers.reduce(0) { $0 + ($1.writer?.totalPackets ?? 0) } }

    /// Packets each worker took from its ring; valid once run() returned.
    public var packetsTaken: UInt64 { workers.reduce(0) { $0 + ($1.outcome?.packets ?? 0) } }
}
