import ArgumentParser
import ScopeDecode

import ScopeAnalyzers

/// `read --proto/--analyze`: every decoded packet also goes through an
/// `AnalysisEngine`; transactions are printed as they complete.
struct ReadAnalysis {
    private var engine: AnalysisEngine
    private let json: Bool
    /// Renders and writes on a second thread; nil: inline, into the
    /// caller's buffer.
    private let outputThread: TransactionOutputThread?
    /// `outputThread != nil`, tested per packet without touching the reference.
    private let threaded: Bool
    private var batch: [TransactionEvent] = []

    /// nil when no analysis was asked for. `outputThread`: render on a
    /// second thread (only when transactions are the whole output).
    init?(_ options: AnalyzeOptions, json: Bool, outputThread: Bool = false) throws {
        guard options.requested else { return nil }
        engine = AnalysisEngine(configuration: try options.configuration())
        self.json = json
        self.outputThread = outputThread ? TransactionOutputThread(json: json) : nil
        threaded = self.outputThread != nil
        if self.outputThread != nil { batch.reserveCapacity(TransactionOutputThread.batchSize * 2) }
    }

    mutating func process(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64,
                          into output: inout StandardOutput) {
        if threaded {
            let queued = engine.process(packet, bytes: bytes, timestamp: timestamp)
            if queued >= TransactionOutputThread.batchSize, let outputThread {
                handOver(to: outputThread, &output)
            }
        } else {
            let json = self.json
            engine.process(packet, bytes: bytes, timestamp: timestamp) { Self.write($0, json: json, to: &output.buffer) }
        }
    }

    /// End of input: closes every connection (unless the input broke off:
    /// then only what was already complete is written), then (threaded)
    /// waits until all is written.
    mutating func finish(into output: inout StandardOutput, closingConnections: Bool = true) {
        guard let outputThread else {
            let json = self.json
            if closingConnections { engine.finish { Self.write($0, json: json, to: &output.buffer) } }
            return
        }
        if closingConnections { engine.finish() }
        handOver(to: outputThread, &output)
        let error = outputThread.finish()
        if error != 0 { output.fail(errno: error) }
    }

    private mutating func handOver(to thread: TransactionOutputThread, _ output: inout StandardOutput) {
        engine.takeEvents(&batch)
        guard !batch.isEmpty else { return }
        let error = thread.submit(&batch)
        if error != 0 {
            batch.removeAll(keepingCapacity: true)
            output.fail(errno: error)
        }
    }

    static func write(_ event: TransactionEvent, json: Bool, to output: inout [UInt8]) {
        if json { event.appendJSON(to: &output) } else { event.appendLine(to: &output) }
        output.append(0x0A)
    }

    var statsFields: [(String, UInt64)] { engine.statsFields }
}
