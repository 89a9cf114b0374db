import ScopeAnalyzers
import ScopeDecode

/// Where the analysis of a live source delivers what it finds. Called per
/// transaction or flow, never per packet.
public protocol AnalysisSink: AnyObject {
    func receive(_ event: TransactionEvent)
    /// Only when the core reports flows (`AnalysisCore.reportsFlows`).
    func receive(_ flow: FlowEvent)
}

extension AnalysisSink {
    public func receive(_ flow: FlowEvent) {}
}

/// The one analysis path of `watch` and the agent, whatever feeds it:
/// admission under overload (a share of the flows, whole), the decode
/// pipeline (fragments, flows) and the analyzers. A capture loop hands it
/// each frame inline, before the mbuf goes back; a test hands it frames
/// from memory, the way SwiftNIO tests a handler in an EmbeddedChannel.
/// One core per loop, used from that loop's thread only.
public final class AnalysisCore {
    // Unchecked exclusivity: one thread, and the sink never calls back in.
    @exclusivity(unchecked) private var pipeline: PacketPipeline
    @exclusivity(unchecked) private var engine: AnalysisEngine
    @exclusivity(unchecked) public private(set) var admission = AnalysisAdmission()
    /// Final and periodic flow events go to the sink too.
    public private(set) var reportsFlows: Bool
    /// Frames handed in (admitted or not), and their bytes.
    public private(set) var frames: UInt64 = 0
    public private(set) var frameBytes: UInt64 = 0

    public init(analyzers: AnalyzerConfiguration, streams: TCPStreamReassembler.Configuration? = nil,
                flows: FlowTable.Configuration = .init(), reportsFlows: Bool = false) {
        pipeline = PacketPipeline(configuration: .init(flows: flows))
        engine = AnalysisEngine(configuration: analyzers, streams: streams)
        self.reportsFlows = reportsFlows
    }

    /// One Ethernet frame, at packet time `timestamp`.
    public func observe(frame: UnsafeRawBufferPointer, timestamp: UInt64, into sink: AnalysisSink) {
        frames &+= 1
        frameBytes &+= UInt64(frame.count)
        guard admission.admits(ethernetFrame: frame) else { return }
        let flows = reportsFlows
        pipeline.process(frame, linkType: .ethernet, timestamp: timestamp, inspect: { decoded, bytes, _ in
            engine.process(decoded, bytes: bytes, timestamp: timestamp) { sink.receive($0) }
        }, emit: { flow in
            if flows { sink.receive(flow) }
        })
    }

    /// How full the capture ring stayed (0...1): admission sheds flows
    /// above half and takes them back as it drains.
    public func ringFill(_ meanFill: Double) { admission.update(meanRingFill: meanFill) }

    /// Wall-clock time on a quiet link, so unanswered requests still time out.
    public func advance(to now: UInt64, into sink: AnalysisSink) {
        engine.advance(to: now) { sink.receive($0) }
    }

    /// End of input: every connection closed, everything pending reported
    /// (and, when reported, the flows still open).
    public func finish(into sink: AnalysisSink) {
        engine.finish { sink.receive($0) }
        if reportsFlows { pipeline.finish { sink.receive($0) } }
    }

    /// New analyzer settings (a reload): the old engine reports what it
    /// holds first, so nothing is dropped silently.
    public func replaceAnalyzers(_ analyzers: AnalyzerConfiguration, streams: TCPStreamReassembler.Configuration?,
                                 reportingTo sink: AnalysisSink) {
        engine.finish { sink.receive($0) }
        engine = AnalysisEngine(configuration: analyzers, streams: streams)
    }

    /// New flow settings (a reload): the old table reports its flows first.
    public func replaceFlows(_ flows: FlowTable.Configuration, reportsFlows: Bool, reportingTo sink: AnalysisSink) {
        if self.reportsFlows { pipeline.finish { sink.receive($0) } }
        pipeline = PacketPipeline(configuration: .init(flows: flows))
        self.reportsFlows = reportsFlows
    }

    /// Analyzer and admission counters for `--stats` and `/metrics`.
    public var statsFields: [(String, UInt64)] { engine.statsFields + admission.statsFields }
    public var decodeCounters: DecodeCounters { pipeline.counters }
    public var flowCounters: FlowTable.Counters { pipeline.flows.counters }
}
