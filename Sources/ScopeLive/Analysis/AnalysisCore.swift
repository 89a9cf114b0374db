import ScopeAnalyzers
import ScopeDecode

/// Where the analysis of a source delivers what it finds. Called per
/// transaction or flow; per packet only when the core inspects packets.
public protocol AnalysisSink: AnyObject {
    func receive(_ event: TransactionEvent)
    /// Only when the core reports flows (`AnalysisCore.reportsFlows`).
    func receive(_ flow: FlowEvent)
    /// Every decoded packet (and why it did not decode further), only when
    /// the core inspects packets (`read`'s packet lines).
    func receive(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64, failure: DecodeError?)
}

extension AnalysisSink {
    public func receive(_ flow: FlowEvent) {}
    public func receive(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64,
                        failure: DecodeError?) {}
}

/// The one analysis path of `read`, `watch` and the agent, whatever feeds
/// it: admission under overload (a share of the flows, whole), the decode
/// pipeline (fragments, flows) and the analyzers. A capture loop hands it
/// each frame inline, before the mbuf goes back; `read` hands it the
/// frames of a file; a test hands it frames from memory, the way SwiftNIO
/// tests a handler in an EmbeddedChannel. One core per loop, used from
/// that loop's thread only.
public final class AnalysisCore {
    /// How transactions leave the core.
    @frozen public enum Delivery: Sendable {
        /// To the sink, one by one, as they complete.
        case each
        /// Queued until `takeEvents` (a caller that renders them in batches
        /// on another thread).
        case batched
    }

    // Unchecked exclusivity: one thread, and the sink never calls back in.
    // Internal but usable from inline code: `observe` is inlined into each
    // source's loop and specialised for its sink (a call through the sink
    // protocol and a closure context per frame cost read 3 %).
    @usableFromInline @exclusivity(unchecked) var pipeline: PacketPipeline
    /// nil: decoding and flows only (`read` without `--analyze`).
    @usableFromInline @exclusivity(unchecked) var engine: AnalysisEngine?
    @usableFromInline @exclusivity(unchecked) var admissionState = AnalysisAdmission()
    @usableFromInline @exclusivity(unchecked) var flowsReported: Bool
    @usableFromInline @exclusivity(unchecked) var queued = 0
    @usableFromInline @exclusivity(unchecked) var frameCount: UInt64 = 0
    @usableFromInline @exclusivity(unchecked) var frameByteCount: UInt64 = 0
    private var pipelineConfiguration: PacketPipeline.Configuration
    /// `frameCount` at the last `advance`: frames came in since when it differs.
    private var framesAtLastAdvance: UInt64 = 0
    public let delivery: Delivery
    /// The sink sees every decoded packet.
    public let inspectsPackets: Bool

    public var admission: AnalysisAdmission { admissionState }
    /// Final and periodic flow events go to the sink too.
    public var reportsFlows: Bool { flowsReported }
    /// With `.batched`: transactions waiting for `takeEvents`.
    public var queuedEvents: Int { queued }
    /// Frames handed in (admitted or not), and their bytes.
    public var frames: UInt64 { frameCount }
    public var frameBytes: UInt64 { frameByteCount }

    public init(analyzers: AnalyzerConfiguration?, streams: TCPStreamReassembler.Configuration? = nil,
                pipeline: PacketPipeline.Configuration, reportsFlows: Bool = false, delivery: Delivery = .each,
                inspectsPackets: Bool = false) {
        self.pipeline = PacketPipeline(configuration: pipeline)
        pipelineConfiguration = pipeline
        engine = analyzers.map { AnalysisEngine(configuration: $0, streams: streams) }
        flowsReported = reportsFlows
        self.delivery = delivery
        self.inspectsPackets = inspectsPackets
    }

    public convenience init(analyzers: AnalyzerConfiguration, streams: TCPStreamReassembler.Configuration? = nil,
                            flows: FlowTable.Configuration = .init(), reportsFlows: Bool = false) {
        self.init(analyzers: analyzers, streams: streams, pipeline: .init(flows: flows), reportsFlows: reportsFlows)
    }

    /// One frame of `linkType`, at packet time `timestamp`. Admission sheds
    /// only after `ringFill` reported a filling ring (never for a file).
    @inlinable
    public func observe<Sink: AnalysisSink>(frame: UnsafeRawBufferPointer, linkType: LinkType = .ethernet,
                                            timestamp: UInt64, into sink: Sink) {
        frameCount &+= 1
        frameByteCount &+= UInt64(frame.count)
        guard admissionState.admits(ethernetFrame: frame) else { return }
        let flows = flowsReported, batched = delivery == .batched, inspects = inspectsPackets
        pipeline.process(frame, linkType: linkType, timestamp: timestamp, inspect: { decoded, bytes, failure in
            if batched {
                if let count = engine?.process(decoded, bytes: bytes, timestamp: timestamp) { queued = count }
            } else {
                engine?.process(decoded, bytes: bytes, timestamp: timestamp) { sink.receive($0) }
            }
            if inspects { sink.receive(decoded, bytes: bytes, timestamp: timestamp, failure: failure) }
        }, emit: { flow in
            if flows { sink.receive(flow) }
        })
    }

    /// With `.batched`: the queued transactions, oldest first, appended to
    /// `batch`.
    public func takeEvents(_ batch: inout [TransactionEvent]) {
        engine?.takeEvents(&batch)
        queued = 0
    }

    /// How full the capture ring stayed (0...1): admission sheds flows
    /// above half and takes them back as it drains.
    public func ringFill(_ meanFill: Double) { admissionState.update(meanRingFill: meanFill) }

    /// Wall-clock time on a quiet link, so unanswered requests still time
    /// out. Only when no frame came in since the previous call: while frames
    /// flow, their own timestamps move time on, and the wall clock runs
    /// ahead of the frames still queued in a ring the loop is behind on (a
    /// request whose answer waits behind it would time out and the answer
    /// come out as a second, unsolicited, transaction). A quiet link's
    /// timeouts fire one call later (the loop calls twenty times a second).
    public func advance(to now: UInt64, into sink: AnalysisSink) {
        guard frameCount == framesAtLastAdvance else {
            framesAtLastAdvance = frameCount
            return
        }
        engine?.advance(to: now) { sink.receive($0) }
    }

    /// End of input: every connection closed, everything pending reported
    /// (and, when reported, the flows still open).
    public func finish(into sink: AnalysisSink) {
        finishTransactions(into: sink)
        finishFlows(into: sink)
    }

    /// Every connection closed and what it still held reported (to the sink,
    /// or with `.batched` queued for `takeEvents`).
    public func finishTransactions(into sink: AnalysisSink) {
        switch delivery {
        case .each: engine?.finish { sink.receive($0) }
        case .batched: engine?.finish()
        }
    }

    /// The flows still open, when reported.
    public func finishFlows(into sink: AnalysisSink) {
        if flowsReported { pipeline.finish { sink.receive($0) } }
    }

    /// New analyzer settings (a reload): the old engine reports what it
    /// holds first, so nothing is dropped silently.
    public func replaceAnalyzers(_ analyzers: AnalyzerConfiguration, streams: TCPStreamReassembler.Configuration?,
                                 reportingTo sink: AnalysisSink) {
        engine?.finish { sink.receive($0) }
        engine = AnalysisEngine(configuration: analyzers, streams: streams)
    }

    /// New flow settings (a reload): the old table reports its flows first.
    public func replaceFlows(_ flows: FlowTable.Configuration, reportsFlows: Bool, reportingTo sink: AnalysisSink) {
        if flowsReported { pipeline.finish { sink.receive($0) } }
        // Only the flow settings change: fragments, VXLAN and checksums stay as built.
        pipelineConfiguration.flows = flows
        pipeline = PacketPipeline(configuration: pipelineConfiguration)
        flowsReported = reportsFlows
    }

    /// Analyzer and admission counters for `--stats` and `/metrics`.
    public var statsFields: [(String, UInt64)] { (engine?.statsFields ?? []) + admissionState.statsFields }
    /// The analyzers' counters alone (`read` has no admission to report).
    public var analyzerFields: [(String, UInt64)] { engine?.statsFields ?? [] }
    public var decodeCounters: DecodeCounters { pipeline.counters }
    public var flowCounters: FlowTable.Counters { pipeline.flows.counters }
    public var fragmentCounters: FragmentReassembler.Counters { pipeline.fragments.counters }
}
