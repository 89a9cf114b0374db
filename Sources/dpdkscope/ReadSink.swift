import ScopeAnalyzers
import ScopeDecode
import ScopeLive

/// Where `read` puts what the analysis core finds: packet lines, flow
/// events, transactions. Transactions are written inline into the output
/// buffer, or (`outputThread`) taken from the core in batches and rendered
/// on a second thread. A class, so the core's per-packet closures capture
/// one constant reference: a captured `var` is boxed, and every access to
/// it then pays a dynamic exclusivity check (a few per cent of a read).
final class ReadSink: AnalysisSink {
    @exclusivity(unchecked) var output = StandardOutput()
    let flows: Bool
    let json: Bool
    /// Renders and writes on a second thread; nil: inline.
    private let outputThread: TransactionOutputThread?
    @exclusivity(unchecked) private var batch: [TransactionEvent] = []

    /// `outputThread`: render transactions on a second thread (only when
    /// they are the whole output).
    init(flows: Bool, json: Bool, outputThread: Bool) {
        self.flows = flows
        self.json = json
        self.outputThread = outputThread ? TransactionOutputThread(json: json) : nil
        if outputThread { batch.reserveCapacity(TransactionOutputThread.batchSize * 2) }
    }

    /// How the core should hand over transactions for this sink.
    var delivery: AnalysisCore.Delivery { outputThread == nil ? .each : .batched }

    func receive(_ event: TransactionEvent) {
        event.appendRecord(json: json, to: &output.buffer)
    }

    func receive(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64, failure: DecodeError?) {
        if json {
            PacketSummary.appendJSON(packet, timestamp: timestamp, failure: failure, to: &output.buffer)
        } else {
            PacketSummary.appendLine(packet, timestamp: timestamp, failure: failure, to: &output.buffer)
        }
    }

    func receive(_ flow: FlowEvent) {
        guard flows else { return }
        if json { flow.appendJSON(to: &output.buffer); output.buffer.append(0x0A) } else { output.write(flow.line) }
        output.flushIfFull()
    }

    /// After each frame: a full batch goes to the output thread, a full
    /// buffer goes out.
    func frameDone(_ core: AnalysisCore) {
        if let outputThread, core.queuedEvents >= TransactionOutputThread.batchSize { handOver(core, to: outputThread) }
        output.flushIfFull()
    }

    /// The last transactions (all of them, or with `closingConnections`
    /// false only those already complete: the input broke off), then
    /// everything buffered goes out.
    func finish(_ core: AnalysisCore, closingConnections: Bool) {
        if closingConnections { core.finishTransactions(into: self) }
        if let outputThread {
            handOver(core, to: outputThread)
            let error = outputThread.finish()
            if error != 0 { output.fail(errno: error) }
        }
        output.flush()
    }

    private func handOver(_ core: AnalysisCore, to thread: TransactionOutputThread) {
        core.takeEvents(&batch)
        guard !batch.isEmpty else { return }
        let error = thread.submit(&batch)
        if error != 0 {
            batch.removeAll(keepingCapacity: true)
            output.fail(errno: error)
        }
    }
}

extension TransactionEvent {
    /// One line of output, JSON or text, with its newline.
    func appendRecord(json: Bool, to output: inout [UInt8]) {
        if json { appendJSON(to: &output) } else { appendLine(to: &output) }
        output.append(0x0A)
    }
}
