import ScopeAnalyzers
import ScopeCore
import ScopeDecode
import ScopeExport
import ScopeLive

/// Where the agent's events go: a rotated JSON-lines file and/or stdout.
/// Shared by every capture loop (one, or one per worker lcore): each loop
/// stages its events in its own `AgentEventStage` and hands over whole
/// batches, written under one lock per batch, so lines never interleave,
/// a write costs one syscall per batch and rotation (which happens only
/// between writes) never splits a line.
final class AgentOutputs: @unchecked Sendable {
    struct Plan: Equatable {
        var file: RotatingLineFile.Policy?
        var stdout: Bool
        var stdoutJSON: Bool
    }

    let plan: Plan
    /// The export outputs fed the file's lines (AgentExport: OTLP, Kafka),
    /// one set per process; a reload swaps them (`replaceExports`) while
    /// the loops write, so they are read under their own lock.
    nonisolated(unsafe) private static var export: [any EventExport] = []
    private static let exportLock = OutputLock()
    /// Fixed for this instance (read per event, so no lock): a reload that
    /// adds or removes every export makes new AgentOutputs.
    let wantsLines: Bool

    static var hasExports: Bool {
        exportLock.lock()
        defer { exportLock.unlock() }
        return !export.isEmpty
    }

    /// Installs the export outputs; once this returns no loop hands
    /// anything to the old ones.
    static func replaceExports(_ next: [any EventExport]) {
        exportLock.lock()
        export = next
        exportLock.unlock()
    }

    /// A reload's swap: loops that hand over lines meanwhile wait (the old
    /// outputs spill to their spool at once, so briefly) rather than lose them.
    static func swapExports(_ swap: () -> [any EventExport]) {
        exportLock.lock()
        export = swap()
        exportLock.unlock()
    }
    private let lock = OutputLock()
    private var file: RotatingLineFile?
    private var stdout = StandardOutput()
    private var failure: ScopeError?

    init(plan: Plan) throws {
        self.plan = plan
        wantsLines = plan.file != nil || Self.hasExports
        if let policy = plan.file { file = try RotatingLineFile(policy: policy) }
    }

    /// Writes one loop's batch and empties it. Returns the first write
    /// failure (disk full, stdout closed) once there is one: the agent stops.
    func write(file lines: inout [UInt8], stdout text: inout [UInt8]) -> ScopeError? {
        lock.lock()
        defer { lock.unlock() }
        if !text.isEmpty {
            swap(&stdout.buffer, &text)
            if !stdout.flush(), failure == nil {
                failure = ScopeError(.failure, "stdout closed; events can no longer be written there")
            }
            swap(&stdout.buffer, &text)
        }
        if let file, !lines.isEmpty {
            do {
                try file.write(lines)
            } catch let error as ScopeError {
                if failure == nil { failure = error }
            } catch {
                if failure == nil { failure = ScopeError(.failure, "\(error)") }
            }
        }
        if !lines.isEmpty {
            Self.exportLock.lock()
            for output in Self.export { output.enqueue(ndjson: lines) }
            Self.exportLock.unlock()
        }
        lines.removeAll(keepingCapacity: true)
        return failure
    }

    /// Once every loop has handed over its last batch.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        file?.close()
        file = nil
    }
}

/// One capture loop's events on their way to the shared `AgentOutputs`:
/// one buffer per destination, handed over when it passes 64 KiB and
/// whenever the loop idles (at least twenty times a second).
final class AgentEventStage {
    private(set) var destination: AgentOutputs
    private var fileBuffer: [UInt8] = []
    private var stdout = StandardOutput()
    /// The first write failure; the agent stops with it.
    private(set) var failure: ScopeError?
    private(set) var events: UInt64 = 0

    init(_ destination: AgentOutputs) {
        self.destination = destination
        if destination.wantsLines { fileBuffer.reserveCapacity(1 << 17) }
    }

    private var plan: AgentOutputs.Plan { destination.plan }

    func stage(_ event: TransactionEvent) {
        events &+= 1
        if destination.wantsLines {
            event.appendJSON(to: &fileBuffer)
            fileBuffer.append(0x0A)
        }
        if plan.stdout { event.appendRecord(json: plan.stdoutJSON, to: &stdout.buffer) }
        if fileBuffer.count >= 1 << 16 || stdout.buffer.count >= 1 << 16 { flush() }
    }

    func stage(_ flow: FlowEvent) {
        events &+= 1
        if destination.wantsLines {
            flow.appendJSON(to: &fileBuffer)
            fileBuffer.append(0x0A)
        }
        if plan.stdout {
            if plan.stdoutJSON {
                flow.appendJSON(to: &stdout.buffer)
                stdout.buffer.append(0x0A)
            } else {
                stdout.write(flow.line)
            }
        }
        if fileBuffer.count >= 1 << 16 || stdout.buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !fileBuffer.isEmpty || !stdout.buffer.isEmpty else { return }
        if let error = destination.write(file: &fileBuffer, stdout: &stdout.buffer), failure == nil { failure = error }
    }

    /// A reload's new outputs: what is staged goes to the old ones first.
    func retarget(_ next: AgentOutputs) {
        flush()
        destination = next
        if next.wantsLines { fileBuffer.reserveCapacity(1 << 17) }
    }
}
