import ScopeAnalyzers
import ScopeCore
import ScopeDecode
import ScopeLive

/// Where the agent's events go: a rotated JSON-lines file and/or stdout.
/// Events are staged in one buffer per destination and written in batches
/// (when a buffer passes 64 KiB and whenever the capture loop idles, at
/// least twenty times a second), so a write costs one syscall per batch.
final class AgentOutputs {
    struct Plan: Equatable {
        var file: RotatingLineFile.Policy?
        var stdout: Bool
        var stdoutJSON: Bool
    }

    let plan: Plan
    private var file: RotatingLineFile?
    private var fileBuffer: [UInt8] = []
    private var stdout = StandardOutput()
    /// The first write failure (disk full…): the agent stops with it.
    private(set) var failure: ScopeError?
    private(set) var events: UInt64 = 0

    init(plan: Plan) throws {
        self.plan = plan
        if let policy = plan.file {
            file = try RotatingLineFile(policy: policy)
            fileBuffer.reserveCapacity(1 << 17)
        }
    }

    func stage(_ event: TransactionEvent) {
        events &+= 1
        if file != nil {
            event.appendJSON(to: &fileBuffer)
            fileBuffer.append(0x0A)
        }
        if plan.stdout { ReadAnalysis.write(event, json: plan.stdoutJSON, to: &stdout.buffer) }
        if fileBuffer.count >= 1 << 16 || stdout.buffer.count >= 1 << 16 { flush() }
    }

    func stage(_ flow: FlowEvent) {
        events &+= 1
        if file != nil {
            flow.appendJSON(to: &fileBuffer)
            fileBuffer.append(0x0A)
        }
        if plan.stdout {
            if plan.stdoutJSON {
                flow.appendJSON(to: &stdout.buffer)
                stdout.buffer.append(0x0A)
            } else {
                stdout.write(ReadCommand.flowLine(flow))
            }
        }
        if fileBuffer.count >= 1 << 16 || stdout.buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        if !stdout.buffer.isEmpty, !stdout.flush(), failure == nil {
            failure = ScopeError(.failure, "stdout closed; events can no longer be written there")
        }
        guard let file, !fileBuffer.isEmpty else { return }
        defer { fileBuffer.removeAll(keepingCapacity: true) }
        do {
            try file.write(fileBuffer)
        } catch let error as ScopeError {
            if failure == nil { failure = error }
        } catch {
            if failure == nil { failure = ScopeError(.failure, "\(error)") }
        }
    }

    func close() {
        flush()
        file?.close()
    }
}
