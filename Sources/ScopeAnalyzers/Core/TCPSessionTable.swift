import ScopeDecode

/// Per-connection state for one TCP connection, in the slot the reassembler
/// gave it. Until a protocol claims the connection it holds the first bytes
/// of each side (at most `ProtocolDetection.prefixLength`) for detection.
final class TCPSession {
    private(set) var generation: UInt32
    // Unchecked exclusivity: see AnalyzerContext.
    @exclusivity(unchecked) var client: FlowDirection?
    @exclusivity(unchecked) var analyzer: StreamAnalyzer?
    @exclusivity(unchecked) var ignored = false
    /// Per side (`FlowDirection.rawValue`): bytes held back, and whether
    /// detection already said no to that side.
    @exclusivity(unchecked) var held: ([UInt8], [UInt8]) = ([], [])
    @exclusivity(unchecked) var rejected: (Bool, Bool) = (false, false)

    init(generation: UInt32, client: FlowDirection?) {
        self.generation = generation
        self.client = client
    }

    /// Lets go of the connection's analyzer and held bytes (it closed).
    func clear() {
        analyzer = nil
        held = ([], [])
    }

    /// A cleared session, new again for another connection.
    func reuse(generation: UInt32, client: FlowDirection?) {
        self.generation = generation
        self.client = client
        ignored = false
        rejected = (false, false)
    }
}

/// The `StreamSink` the engine gives `TCPStreamReassembler`: finds each
/// connection's session by slot and decides, on the first bytes, which
/// protocol (if any) analyses it — by configured port first, then by
/// content — and which side is the client.
struct TCPSessionTable: StreamSink {
    private(set) var sessions: [TCPSession?]
    /// Sessions of closed connections, cleared, for the next ones: an
    /// allocation and a deallocation fewer per connection. At most
    /// `maxSpares`, so a burst of connections does not keep its peak.
    private var spares: [TCPSession] = []
    private static let maxSpares = 1024
    let context: AnalyzerContext

    init(context: AnalyzerContext) {
        self.context = context
        sessions = []
    }

    /// Indexed by the reassembler's slot; it makes slots as needed, and so
    /// does this table.
    private mutating func makeRoom(for slot: Int) {
        if slot >= sessions.count { sessions.append(contentsOf: repeatElement(nil, count: slot &+ 1 &- sessions.count)) }
    }

    mutating func opened(_ stream: TCPStream, timestamp: UInt64) {
        makeRoom(for: stream.id.slot)
        sessions[stream.id.slot] = makeSession(for: stream)
    }

    private mutating func makeSession(for stream: TCPStream) -> TCPSession {
        guard let spare = spares.popLast() else {
            return TCPSession(generation: stream.id.generation, client: stream.client)
        }
        spare.reuse(generation: stream.id.generation, client: stream.client)
        return spare
    }

    mutating func deliver(_ bytes: UnsafeRawBufferPointer, stream: TCPStream, direction: FlowDirection,
                          timestamp: UInt64) {
        let session = session(for: stream)
        if let analyzer = session.analyzer {
            analyzer.deliver(bytes, fromClient: direction == session.client, timestamp: timestamp)
            if context.handOverPending { handOver(session, stream: stream, bytes: bytes, direction: direction, timestamp: timestamp) }
        } else if !session.ignored {
            attribute(session, stream: stream, bytes: bytes, direction: direction, timestamp: timestamp)
        }
    }

    mutating func gap(length: Int, stream: TCPStream, direction: FlowDirection, timestamp: UInt64) {
        let session = session(for: stream)
        if let analyzer = session.analyzer {
            analyzer.gap(length: length, fromClient: direction == session.client, timestamp: timestamp)
        } else if direction == .fromLow {
            session.held.0.removeAll()  // what follows a gap is no message start to detect on
        } else {
            session.held.1.removeAll()
        }
    }

    mutating func closed(_ stream: TCPStream, reason: StreamCloseReason, timestamp: UInt64) {
        guard stream.id.slot < sessions.count, let session = sessions[stream.id.slot],
              session.generation == stream.id.generation else { return }
        session.analyzer?.close(reason: reason, timestamp: timestamp)
        sessions[stream.id.slot] = nil
        session.clear()
        if spares.count < Self.maxSpares { spares.append(session) }
    }

    /// Transaction timeouts, swept over every live session.
    func expire(now: UInt64) {
        for case let session? in sessions { session.analyzer?.expire(now: now) }
    }

    private mutating func session(for stream: TCPStream) -> TCPSession {
        makeRoom(for: stream.id.slot)
        if let session = sessions[stream.id.slot], session.generation == stream.id.generation {
            if session.client == nil { session.client = stream.client }
            return session
        }
        let session = makeSession(for: stream)
        sessions[stream.id.slot] = session
        return session
    }

    private func attribute(_ session: TCPSession, stream: TCPStream, bytes: UnsafeRawBufferPointer,
                           direction: FlowDirection, timestamp: UInt64) {
        var data = direction == .fromLow ? session.held.0 : session.held.1
        let fresh = data.isEmpty
        if !fresh { data.append(contentsOf: bytes) }
        func withData<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            fresh ? body(bytes) : data.withUnsafeBytes(body)
        }
        let key = stream.key
        // By port: the server's port when the handshake told us who the
        // client is, otherwise whichever end has a configured port.
        var proto: ApplicationProtocol?
        var serverSide: FlowDirection?
        if let client = session.client {
            proto = context.ports.lookup(client == .fromLow ? key.highPort : key.lowPort, .tcp)
            serverSide = client.reversed
        } else if let low = context.ports.lookup(key.lowPort, .tcp) {
            (proto, serverSide) = (low, .fromLow)
        } else if let high = context.ports.lookup(key.highPort, .tcp) {
            (proto, serverSide) = (high, .fromHigh)
        }
        if let byPort = proto {
            var match = withData { byPort.detect($0, transport: .tcp) }
            if match == .no, context.configuration.selection.detectByContent {
                // The port says one protocol, the bytes clearly another (an
                // HTTP request on TCP 53): the content wins.
                let (found, other) = withData {
                    ProtocolDetection.detect($0, transport: .tcp, among: context.streamProtocols)
                }
                if let found, other == .fromClient || other == .fromServer {
                    (proto, match) = (found, other)
                    serverSide = nil
                }
            }
            if session.client == nil {
                switch match {
                case .fromClient: session.client = direction
                case .fromServer: session.client = direction.reversed
                default: session.client = serverSide?.reversed
                }
            }
            if proto == byPort {
                context.count(byPort) { $0.detectedByPort &+= 1 }
            } else {
                context.count(proto!) { $0.detectedByContent &+= 1 }
            }
        } else if context.configuration.selection.detectByContent,
                  context.ports.allowsDetection(key.lowPort, key.highPort, .tcp) {
            let (found, match) = withData {
                ProtocolDetection.detect($0, transport: .tcp, among: context.streamProtocols)
            }
            switch match {
            case .needMore:
                if direction == .fromLow { session.held.0 = fresh ? Array(bytes) : data } else {
                    session.held.1 = fresh ? Array(bytes) : data
                }
                return
            case .no:
                if direction == .fromLow {
                    session.rejected.0 = true
                    session.held.0 = []
                } else {
                    session.rejected.1 = true
                    session.held.1 = []
                }
                session.ignored = session.rejected.0 && session.rejected.1
                return
            case .fromClient, .fromServer:
                proto = found
                if session.client == nil { session.client = match == .fromClient ? direction : direction.reversed }
                context.count(found!) { $0.detectedByContent &+= 1 }
            }
        }
        guard let proto, let client = session.client else {
            session.ignored = true
            return
        }
        var endpoints = TransactionEndpoints(key: key, client: client, transport: .tcp)
        endpoints.cacheCommunityID()
        let analyzer = Self.makeAnalyzer(proto, endpoints: endpoints, context: context)
        session.analyzer = analyzer
        // The other side may have held back bytes while undecided; they came first.
        let other = direction == .fromLow ? session.held.1 : session.held.0
        session.held = ([], [])
        if !other.isEmpty {
            other.withUnsafeBytes { held in
                analyzer.deliver(held, fromClient: direction != client, timestamp: timestamp)
                if context.handOverPending {
                    handOver(session, stream: stream, bytes: held, direction: direction.reversed, timestamp: timestamp)
                }
            }
        }
        withData { data in
            // The session may have changed hands on the held bytes.
            session.analyzer?.deliver(data, fromClient: direction == client, timestamp: timestamp)
            if context.handOverPending { handOver(session, stream: stream, bytes: data, direction: direction, timestamp: timestamp) }
        }
    }

    /// The session that just handled `bytes` gave the connection to another
    /// protocol (`StreamHandOver`): its session takes over.
    private func handOver(_ session: TCPSession, stream: TCPStream, bytes: UnsafeRawBufferPointer,
                          direction: FlowDirection, timestamp: UInt64) {
        guard let client = session.client else { return context.pendingHandOver = nil }
        var endpoints = TransactionEndpoints(key: stream.key, client: client, transport: .tcp)
        endpoints.cacheCommunityID()
        if let analyzer = Self.takeHandOver(context, endpoints: endpoints, bytes: bytes, fromClient: direction == client,
                                            timestamp: timestamp) {
            session.analyzer = analyzer
        }
    }

    /// The new protocol's session for a hand-over the last delivery asked
    /// for, given its seed and the rest of `bytes`, that delivery's bytes.
    static func takeHandOver(_ context: AnalyzerContext, endpoints: TransactionEndpoints, bytes: UnsafeRawBufferPointer,
                             fromClient: Bool, timestamp: UInt64) -> StreamAnalyzer? {
        guard let handOver = context.pendingHandOver.take() else { return nil }
        let analyzer = makeAnalyzer(handOver.proto, endpoints: endpoints, context: context)
        if let seed = handOver.seed { analyzer.adopt(seed) }
        context.count(handOver.proto) { $0.handedOver &+= 1 }
        let offset = min(max(handOver.offset, 0), bytes.count)
        if offset < bytes.count {
            analyzer.deliver(UnsafeRawBufferPointer(rebasing: bytes[offset...]), fromClient: fromClient, timestamp: timestamp)
        }
        // A request the new session made at once is dropped: left pending, the
        // next delivery of any connection would take it.
        context.pendingHandOver = nil
        return analyzer
    }

    /// The protocol's session for one connection.
    static func makeAnalyzer(_ proto: ApplicationProtocol, endpoints: TransactionEndpoints,
                             context: AnalyzerContext) -> StreamAnalyzer {
        guard let make = proto.definition.makeStreamAnalyzer else {
            // runsOverTCP without a session factory is a definition error (the registry test catches it).
            preconditionFailure("\(proto) runs over TCP but its definition makes no session")
        }
        return make(endpoints, context)
    }
}
