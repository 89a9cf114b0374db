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
        public fileprivate(set) var outcome: CaptureLoop.Outcome?
        public fileprivate(set) var failure: Error?

        init(lcore: UInt32, tuples: [CaptureTuple], session: CaptureSession, stage: Stage, loop: CaptureLoop) {
            self.lcore = lcore
            self.tuples = tuples
            self.session = session
            self.writer = stage.writer
            self.observer = stage.observer
            self.loop = loop
        }

        /// Runs on the worker lcore.
        fileprivate func run() {
            do {
                outcome = try loop.run()
            } catch {
                failure = error
                cdpdk_workers_request_stop() // the others stop too: never half a capture
            }
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
        var lcores = [UInt32](repeating: 0, count: 128)
        let available = Int(lcores.withUnsafeMutableBufferPointer { cdpdk_worker_lcores($0.baseAddress, UInt32($0.count)) })
        guard available >= 1 else {
            throw ScopeError(.usageOrAttach, "--multi needs at least one worker lcore besides the main one (use --workers N or --lcores)")
        }
        let used = Array(groups.prefix(available))
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
        let entry: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { argument in
            Unmanaged<Worker>.fromOpaque(argument!).takeUnretainedValue().run()
            return 0
        }
        for worker in workers {
            let argument = Unmanaged.passUnretained(worker).toOpaque()
            guard cdpdk_launch(worker.lcore, entry, argument) == 0 else {
                cdpdk_workers_request_stop()
                workers.forEach { _ = cdpdk_wait($0.lcore) }
                throw ScopeError(.failure, "cannot launch a worker on lcore \(worker.lcore)")
            }
        }
        var nextProgress = monotonicSeconds() + 1
        while workers.contains(where: { cdpdk_lcore_running($0.lcore) }) {
            usleep(20_000)
            if cdpdk_stop_signal() != 0 || !attachment.primaryAlive { cdpdk_workers_request_stop() }
            if let progress, monotonicSeconds() >= nextProgress {
                nextProgress += 1
                progress()
            }
        }
        workers.forEach { _ = cdpdk_wait($0.lcore) }
        if let failure = workers.lazy.compactMap(\.failure).first { throw failure }
    }

    /// Packets written by all workers; valid once run() returned.
    public var packetsWritten: UInt64 { workers.reduce(0) { $0 + ($1.writer?.totalPackets ?? 0) } }

    /// Packets each worker took from its ring; valid once run() returned.
    public var packetsTaken: UInt64 { workers.reduce(0) { $0 + ($1.outcome?.packets ?? 0) } }
}
