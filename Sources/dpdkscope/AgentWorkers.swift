import CDPDK
import Logging
import ScopeCore
import ScopeDPDK
import ScopePcap

#if canImport(Glibc)
import Glibc
#endif

/// `attach.workers: N`: one capture loop per worker lcore, each polling
/// its own sessions (one per `captures` entry) with its own AgentAnalysis
/// (pipeline, engine, dumpfile); they share only the event outputs and the
/// metrics, each taken once per batch. The main lcore watches, as `capture
/// --multi` does: stop signals and the primary's death (every loop then
/// stops, drains its rings and is flushed by the caller), and SIGHUP,
/// whose reload it posts to the loops through an AgentChangeBoard.
final class AgentWorkers {
    final class Worker {
        let index: Int
        let lcore: UInt32
        let analysis: AgentAnalysis
        let loop: CaptureLoop

        init(index: Int, lcore: UInt32, analysis: AgentAnalysis, loop: CaptureLoop) {
            self.index = index
            self.lcore = lcore
            self.analysis = analysis
            self.loop = loop
        }
    }

    let workers: [Worker]
    /// Each worker's loop outcome (nil for one that failed), once run() returned.
    private(set) var outcomes: [CaptureLoop.Outcome?] = []
    let board: AgentChangeBoard
    private let attachment: Attachment

    /// The worker lcores EAL gave us (besides the main one).
    static func lcores() -> [UInt32] { LcoreLoops.workerLcores() }

    /// One worker per loop of `captures`, on `lcores` in order.
    init(captures: AgentCaptures, analyses: [AgentAnalysis], dumpfiles: [CaptureFileWriter?], lcores: [UInt32],
         attachment: Attachment, logger: Logger) {
        self.attachment = attachment
        let board = AgentChangeBoard(workers: analyses.count)
        self.board = board
        workers = analyses.indices.map { index in
            let analysis = analyses[index]
            analysis.control = { [unowned analysis] in
                guard let (change, generation) = board.pending(for: index) else { return }
                analysis.apply(change)
                board.done(index, generation: generation)
            }
            let loop = CaptureLoop(sessions: captures.loops[index], writer: dumpfiles[index], observer: analysis,
                                   interfacePorts: captures.ports(ofLoop: index).map(\.id), limits: .init(),
                                   logger: logger, progress: nil)
            return Worker(index: index, lcore: lcores[index], analysis: analysis, loop: loop)
        }
    }

    /// Launches every worker and watches until all have stopped; `reload`
    /// runs here, on the main lcore, on SIGHUP. Returns the loops' outcome
    /// merged (the primary's death first: it decides the exit code), or
    /// throws the first worker failure once all are done.
    func run(reload: () -> Void) throws -> CaptureLoop.Outcome {
        let started = CaptureClock.monotonicNanoseconds()
        let loops = LcoreLoops(workers.map { ($0.lcore, $0.loop) })
        try loops.run(attachment: attachment) {
            if ProcessSignals.takeReloadRequest() { reload() }
        }
        outcomes = loops.outcomes
        // A change a loop missed (it stopped first) still applies, so its
        // last events go where the others' went.
        for worker in workers {
            if let (change, generation) = board.pending(for: worker.index) {
                worker.analysis.apply(change)
                board.done(worker.index, generation: generation)
            }
        }
        if let failure = loops.firstFailure { throw failure }
        var outcome = CaptureLoop.Outcome.merged(outcomes.compactMap { $0 })
        outcome.seconds = Double(CaptureClock.monotonicNanoseconds() &- started) / 1e9
        // The main lcore may have seen the primary die first and stopped the
        // loops: that is still the primary's exit (exit code 3, or re-attach).
        if outcome.reason == .signal, ProcessSignals.stopSignal == 0, !attachment.primaryAlive { outcome.reason = .primaryExited }
        return outcome
    }

    /// Main lcore, from `reload`: posts the change and returns once every
    /// loop still running has applied it (they look twenty times a second;
    /// a loop that stops meanwhile gets it after the run, in `run`).
    func apply(_ change: AgentChange) {
        let generation = board.post(change)
        let deadline = CaptureClock.monotonicNanoseconds() &+ 10_000_000_000
        while CaptureClock.monotonicNanoseconds() < deadline {
            let waiting = workers.contains { worker in
                !board.hasApplied(worker.index, generation: generation) && cdpdk_lcore_running(worker.lcore)
            }
            if !waiting { return }
            usleep(1_000)
        }
    }

    /// "w0@lcore3: 2 tuple(s), w1@lcore4: 2 tuple(s)".
    func layout(_ captures: AgentCaptures) -> String {
        workers.map { "w\($0.index)@lcore\($0.lcore): \(captures.loops[$0.index].flatMap(\.tuples).count) tuple(s)" }
            .joined(separator: ", ")
    }
}
