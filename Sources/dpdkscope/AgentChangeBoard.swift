/// How a SIGHUP reload reaches the worker loops of `attach.workers`. The
/// main lcore takes the signal (only it reads the flag, so no worker can
/// swallow it), reads and checks the file, opens new outputs or metrics,
/// and posts the change here; each worker picks it up at its next idle
/// moment (twenty times a second) and applies it on its own thread, where
/// its engine and pipeline live. The main lcore waits until every worker
/// still running has done so.
final class AgentChangeBoard: @unchecked Sendable {
    private let lock = OutputLock()
    private var change: AgentChange?
    private var generation = 0
    private var applied: [Int]

    init(workers: Int) {
        applied = Array(repeating: 0, count: workers)
    }

    /// Main lcore: posts a change; returns its generation.
    func post(_ change: AgentChange) -> Int {
        lock.lock()
        defer { lock.unlock() }
        generation += 1
        self.change = change
        return generation
    }

    /// Worker `index`: the posted change it has not applied yet, if any.
    /// The worker applies it, then calls `done`.
    func pending(for index: Int) -> (change: AgentChange, generation: Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard let change, applied[index] < generation else { return nil }
        return (change, generation)
    }

    func done(_ index: Int, generation: Int) {
        lock.lock()
        applied[index] = generation
        lock.unlock()
    }

    /// Whether worker `index` runs the change of `generation`.
    func hasApplied(_ index: Int, generation: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return applied[index] >= generation
    }
}
