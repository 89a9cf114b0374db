import ScopeDecode

/// The analyzers' entry point: give it every decoded packet (what
/// `PacketPipeline`'s `inspect` closure sees) and it returns application
/// transactions. TCP goes through a `TCPStreamReassembler` into per-connection
/// sessions; UDP datagrams go straight to datagram protocols. Time is packet
/// time only. One engine per thread; do not copy it (it owns a reassembler).
public struct AnalysisEngine {
    public let configuration: AnalyzerConfiguration
    private let context: AnalyzerContext
    private var reassembler: TCPStreamReassembler
    private var sessions: TCPSessionTable
    private var now: UInt64 = 0
    private var nextSweep: UInt64 = 0

    /// `streams`: the reassembler's buffer caps and timeouts (its
    /// `maxConnections` is taken from `configuration`); nil for defaults.
    public init(configuration: AnalyzerConfiguration = AnalyzerConfiguration(),
                streams: TCPStreamReassembler.Configuration? = nil) {
        self.configuration = configuration
        context = AnalyzerContext(configuration: configuration)
        var limits = streams ?? .init()
        limits.maxConnections = configuration.maxConnections
        reassembler = TCPStreamReassembler(configuration: limits)
        sessions = TCPSessionTable(context: context)
    }

    /// Handles one decoded packet; `bytes` is the buffer it was decoded
    /// from. Fragments are skipped (the reassembled datagram comes later).
    public mutating func process(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64,
                                 emit: (TransactionEvent) -> Void) {
        process(packet, bytes: bytes, timestamp: timestamp)
        context.drainEvents(emit)
    }

    /// As `process(_:bytes:timestamp:emit:)`, but the transactions stay
    /// queued (oldest first) until `takeEvents` hands them over in one batch.
    /// Returns how many are queued.
    @discardableResult
    public mutating func process(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64) -> Int {
        if timestamp > now { now = timestamp }
        if !packet.fragment.isFragment {
            switch packet.transport {
            case .tcp where !context.streamProtocols.isEmpty:
                // Attributed by port only, a connection on no configured port
                // can never be analysed: it is not even reassembled.
                guard !context.portsOnly || context.ports.lookup(packet.sourcePort, .tcp) != nil
                    || context.ports.lookup(packet.destinationPort, .tcp) != nil else { break }
                reassembler.process(bytes, packet: packet, timestamp: timestamp, sink: &sessions)
            case .udp where !context.datagramProtocols.isEmpty:
                handleDatagram(packet, bytes: bytes, timestamp: timestamp)
            case .icmpv4, .icmpv6:
                guard let icmp = context.icmpProtocol else { break }
                context.packetAnalyzer(icmp).datagram(bytes, packet: packet, timestamp: timestamp)
            default:
                break
            }
        }
        if now >= nextSweep {
            // Transaction timeouts are checked once per second of packet time.
            sessions.expire(now: now)
            context.expireCorrelators(now: now)
            nextSweep = now &+ 1_000_000_000
        }
        return context.events.count
    }

    /// Hands every queued transaction over, oldest first. Give it an empty
    /// array: the arrays are swapped (nothing is copied) and its capacity
    /// serves the events that come next.
    public mutating func takeEvents(_ batch: inout [TransactionEvent]) {
        context.takeEvents(&batch)
    }

    /// Live capture on a quiet link: time passes without packets. Moves the
    /// engine's clock to `now` (wall clock, same epoch as packet times) so
    /// unanswered requests still time out; never moves it backwards.
    public mutating func advance(to now: UInt64, emit: (TransactionEvent) -> Void) {
        guard now > self.now else { return }
        self.now = now
        if now >= nextSweep {
            sessions.expire(now: now)
            context.expireCorrelators(now: now)
            nextSweep = now &+ 1_000_000_000
        }
        context.drainEvents(emit)
    }

    /// End of input: closes every connection (flushing close-delimited
    /// messages) and reports everything still unanswered.
    public mutating func finish(emit: (TransactionEvent) -> Void) {
        finish()
        context.drainEvents(emit)
    }

    /// As `finish(emit:)`, the transactions left queued for `takeEvents`.
    public mutating func finish() {
        reassembler.flush(now: now, sink: &sessions)
        context.drainCorrelators(now: now)
    }

    /// Counters of one protocol's analyzer.
    public func counters(for proto: ApplicationProtocol) -> AnalyzerCounters { context.counters(proto) }

    /// The TCP reassembly underneath (gaps, retransmits, connections).
    public var streamCounters: TCPReassemblyCounters { reassembler.counters }

    private func handleDatagram(_ packet: DecodedPacket, bytes: UnsafeRawBufferPointer, timestamp: UInt64) {
        let start = packet.payloadOffset
        guard start >= 0, packet.payloadLength > 0, start + packet.payloadLength <= bytes.count else { return }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + packet.payloadLength)])
        var proto = context.ports.lookup(packet.destinationPort, .udp) ?? context.ports.lookup(packet.sourcePort, .udp)
        if proto != nil {
            context.count(proto!) { $0.detectedByPort &+= 1 }
        } else if context.configuration.selection.detectByContent,
                  context.ports.allowsDetection(packet.sourcePort, packet.destinationPort, .udp) {
            let (found, match) = ProtocolDetection.detect(payload, transport: .udp, among: context.datagramProtocols)
            guard let found, match == .fromClient || match == .fromServer else { return }
            proto = found
            context.count(found) { $0.detectedByContent &+= 1 }
        }
        if let proto {
            context.packetAnalyzer(proto).datagram(payload, packet: packet, timestamp: timestamp)
        }
    }
}
