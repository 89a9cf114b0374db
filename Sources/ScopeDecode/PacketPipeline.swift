/// The one path every packet takes, live or from a file: decode, reassemble
/// IP fragments, account the flow. Offline reading and live capture both
/// drive this type, so their results agree by construction; protocol
/// analyzers hang off it as they arrive.
public struct PacketPipeline {
    public struct Configuration: Sendable {
        public var flows: FlowTable.Configuration
        public var fragments: FragmentReassembler.Configuration
        public var vxlanPort: UInt16
        /// False: no flow accounting at all (`flows` stays empty, `emit` is
        /// never called), for callers that show neither flow events nor flow
        /// counters: it is a tenth of the per-packet cost of a file read.
        public var tracksFlows: Bool
        /// Drop IPv4 packets whose header checksum is wrong (see
        /// `PacketDecoder.verifiesIPv4Checksums`); they are counted either way.
        public var verifiesIPv4Checksums: Bool

        public init(flows: FlowTable.Configuration = .init(), fragments: FragmentReassembler.Configuration = .init(),
                    vxlanPort: UInt16 = 4789, tracksFlows: Bool = true, verifiesIPv4Checksums: Bool = false) {
            self.flows = flows
            self.fragments = fragments
            self.vxlanPort = vxlanPort
            self.tracksFlows = tracksFlows
            self.verifiesIPv4Checksums = verifiesIPv4Checksums
        }
    }

    public private(set) var decoder: PacketDecoder
    public private(set) var fragments: FragmentReassembler
    public private(set) var flows: FlowTable
    /// Time of the newest packet seen (packet clock, not wall clock).
    public private(set) var now: UInt64 = 0
    private var nextExpiry: UInt64 = 0
    private let tracksFlows: Bool
    private var packet = DecodedPacket()
    private var reassembled = DecodedPacket()

    public init(configuration: Configuration = .init()) {
        decoder = PacketDecoder(vxlanPort: configuration.vxlanPort,
                                verifiesIPv4Checksums: configuration.verifiesIPv4Checksums)
        fragments = FragmentReassembler(configuration: configuration.fragments)
        tracksFlows = configuration.tracksFlows
        // Untracked, the table is never touched: no point allocating it full size.
        var flowLimits = configuration.flows
        if !tracksFlows { flowLimits.maxFlows = 1 }
        flows = FlowTable(configuration: flowLimits)
    }

    public var counters: DecodeCounters { decoder.counters }

    /// Runs one packet through. `inspect` sees the decoded packet with its
    /// decode failure, if any (and then the reassembled datagram after the
    /// last fragment); `emit` gets flow events that became due. Returns the
    /// packet's decode failure.
    @discardableResult
    public mutating func process(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, timestamp: UInt64,
                                 inspect: (DecodedPacket, UnsafeRawBufferPointer, DecodeError?) -> Void,
                                 emit: (FlowEvent) -> Void) -> DecodeError? {
        if timestamp > now { now = timestamp }
        let failure = decoder.decode(bytes, linkType: linkType, into: &packet)
        if packet.fragment.isFragment {
            inspect(packet, bytes, failure)
            guard let datagram = fragments.add(bytes, packet: packet, timestamp: timestamp) else { return failure }
            datagram.withUnsafeBytes { whole in
                let wholeFailure = decoder.decode(whole, linkType: .rawIP, into: &reassembled, countAsPacket: false)
                if tracksFlows { flows.update(reassembled, timestamp: timestamp, emit: emit) }
                inspect(reassembled, whole, wholeFailure)
            }
        } else {
            if tracksFlows { flows.update(packet, timestamp: timestamp, emit: emit) }
            inspect(packet, bytes, failure)
        }
        guard tracksFlows else { return failure }
        flows.reportDue(now: now, emit: emit)
        if now >= nextExpiry {
            // Idle flows are swept once a second of packet time.
            flows.expire(now: now, emit: emit)
            nextExpiry = now &+ 1_000_000_000
        }
        return failure
    }

    /// End of input: every flow reports its final event.
    public mutating func finish(emit: (FlowEvent) -> Void) {
        flows.flush(now: now, emit: emit)
    }
}
