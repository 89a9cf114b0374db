import ScopeDecode

/// Everything dpdkscope knows of one application protocol, in one value.
/// Each protocol folder defines one (`HTTP/HTTPProtocol.swift`, ...) and
/// `ProtocolRegistry.definitions` lists them; the rest is derived from that
/// list: the port map, the counter layout, `--proto` parsing and its help,
/// the agent's `protocols:` keys and reference text, metric labels and
/// families, and the JSON dispatch.
public struct ProtocolDefinition: Sendable {
    /// The `--proto` and `protocols:` name, the JSON `type` and the
    /// `protocol` metric label (Packetbeat's names: `pgsql`, `memcache`).
    public let name: String
    /// One phrase for help texts: "HTTP/1.x", "PostgreSQL".
    public let title: String
    public let defaultPorts: [UInt16]
    public let transports: Transports
    /// Options of this protocol under `protocols.NAME` (beyond `enabled`
    /// and `ports`), with their reference text.
    public let options: [ProtocolOption]
    /// Comment lines the reference configuration puts above the protocol's
    /// block (nothing for most).
    public let reference: [String]
    /// Bytes that open a connection (`streamSample`) or make a datagram
    /// (`datagramSample`) of this protocol, as one side sends them: given
    /// exactly when there is a content detector for that transport. The
    /// registry test proves detection and attribution end to end with them.
    public let streamSample: [UInt8]?
    public let datagramSample: [UInt8]?
    /// Ports of other protocols that share this one's wire format (DNS:
    /// NetBIOS name service, mDNS, LLMNR). Content detection claims no
    /// traffic on them, for any protocol; a port configured for a protocol
    /// still wins.
    public let lookalikePorts: [UInt16]
    /// The protocol's own metric families, beyond the request series every
    /// protocol has (nil: none).
    public let metrics: ProtocolMetrics?
    /// The protocol whose sessions carry this one (gRPC: `http2`), nil for
    /// a protocol with transports of its own. A carried protocol has no
    /// transports, ports, detector or session: selecting it runs its
    /// carrier's analyzer (on the carrier's ports unless given others) and
    /// keeps the carrier's transactions that say they are of it
    /// (`TransactionDetail.carriedProtocol`). Its events keep the carrier's
    /// type; its name is a selection, not a new event type.
    public let carrierName: String?
    let detectStream: (@Sendable (UnsafeRawBufferPointer) -> ContentMatch)?
    let detectDatagram: (@Sendable (UnsafeRawBufferPointer) -> ContentMatch)?
    let makeStreamAnalyzer: (@Sendable (TransactionEndpoints, AnalyzerContext) -> StreamAnalyzer)?
    let makePacketAnalyzer: (@Sendable (AnalyzerContext) -> PacketAnalyzer)?

    /// Where a protocol runs.
    public struct Transports: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Per TCP connection: `makeStreamAnalyzer` is required.
        public static let tcp = Transports(rawValue: 1)
        /// UDP datagrams, handed to the protocol's packet analyzer.
        public static let udp = Transports(rawValue: 2)
        /// ICMP and ICMPv6 messages, handed to the packet analyzer.
        public static let icmp = Transports(rawValue: 4)
    }

    /// - Parameters:
    ///   - detectStream: content detection on the first bytes of a TCP direction.
    ///   - detectDatagram: content detection on a whole UDP datagram.
    ///   - makeStreamAnalyzer: a session for one TCP connection (TCP protocols).
    ///   - makePacketAnalyzer: the engine-wide analyzer of UDP or ICMP
    ///     packets, made when first needed (UDP and ICMP protocols).
    ///   - metrics: metric families of the protocol's own (TLS handshakes by cipher).
    ///   - carriedBy: the carrier's name, for a protocol inside another's
    ///     sessions (then `transports` is empty and there is nothing else).
    init(name: String, title: String, defaultPorts: [UInt16], transports: Transports,
         options: [ProtocolOption] = [], reference: [String] = [],
         detectStream: (@Sendable (UnsafeRawBufferPointer) -> ContentMatch)? = nil, streamSample: [UInt8]? = nil,
         detectDatagram: (@Sendable (UnsafeRawBufferPointer) -> ContentMatch)? = nil, datagramSample: [UInt8]? = nil,
         lookalikePorts: [UInt16] = [], metrics: ProtocolMetrics? = nil, carriedBy carrierName: String? = nil,
         makeStreamAnalyzer: (@Sendable (TransactionEndpoints, AnalyzerContext) -> StreamAnalyzer)? = nil,
         makePacketAnalyzer: (@Sendable (AnalyzerContext) -> PacketAnalyzer)? = nil) {
        self.name = name
        self.title = title
        self.defaultPorts = defaultPorts
        self.transports = transports
        self.options = options
        self.reference = reference
        self.detectStream = detectStream
        self.streamSample = streamSample
        self.detectDatagram = detectDatagram
        self.datagramSample = datagramSample
        self.lookalikePorts = lookalikePorts
        self.metrics = metrics
        self.carrierName = carrierName
        self.makeStreamAnalyzer = makeStreamAnalyzer
        self.makePacketAnalyzer = makePacketAnalyzer
    }
}

/// The analysis of a protocol's UDP datagrams or ICMP messages, one per
/// engine: it pairs across packets (and, for DNS, across TCP streams too).
protocol PacketAnalyzer: AnyObject {
    /// One datagram or message: for UDP, `bytes` is the payload; for ICMP,
    /// the whole decoded buffer (the message is read at the packet's offsets).
    func datagram(_ bytes: UnsafeRawBufferPointer, packet: DecodedPacket, timestamp: UInt64)
    /// Packet time moved on: report what timed out.
    func expire(now: UInt64)
    /// End of input: report everything still pending.
    func drain(now: UInt64)
}
