/// TCP stream reassembly for protocol parsers: per connection and direction,
/// payload bytes reach a `StreamSink` exactly once and in sequence order.
///
/// - In order (the common case): bytes go to the sink straight out of the
///   packet buffer. No copy, no allocation: connection and direction state
///   live in arrays allocated in `init`, and the sink is a generic parameter.
/// - Ahead of a hole: the segment is copied into a bounded reorder buffer and
///   delivered as soon as the hole is filled.
/// - Already delivered or already buffered bytes (retransmits, overlaps) are
///   dropped: the first copy of a byte wins, so a later segment cannot
///   rewrite what a parser may already have acted on.
/// - A hole is given up on, reported with its exact size as a gap, and
///   delivery resumes after it when: the direction's reorder buffer would
///   exceed its byte or segment cap; the hole outlives `reorderTimeout`;
///   global buffer memory runs out (the oldest hole anywhere is flushed
///   first); or the connection closes.
/// - SYN and FIN each occupy one sequence number. A connection first seen
///   without a SYN (capture started mid-stream) starts each direction at the
///   first sequence number seen in it. RST ends the connection.
///
/// Time only moves with packet timestamps (nanoseconds). Connections are
/// created by a SYN or a segment with data, close on FIN from both sides
/// (after in-order delivery up to each FIN), RST, idle timeout or eviction
/// (`maxConnections`, least recently active first). Connections closed by
/// FIN/RST linger for `closedLinger` to absorb final ACKs and retransmits.
/// Do not copy a reassembler: copy-on-write would duplicate all its storage.
public struct TCPStreamReassembler: Sendable {
    public struct Configuration: Sendable {
        public var maxConnections: Int
        /// Reorder buffer caps for one direction of one connection.
        public var maxBufferedBytesPerDirection: Int
        public var maxBufferedSegmentsPerDirection: Int
        /// Reorder buffer caps across all connections (payload bytes; each
        /// segment also costs a descriptor and an allocation header).
        public var maxBufferedBytes: Int
        public var maxBufferedSegments: Int
        public var reorderTimeout: UInt64
        public var idleTimeout: UInt64
        public var closedLinger: UInt64
        /// Segments starting further ahead than this are dropped, not
        /// buffered: the largest window TCP can advertise is 2^30 bytes.
        public var maxWindow: Int

        public init(maxConnections: Int = 65_536, maxBufferedBytesPerDirection: Int = 256 << 10,
                    maxBufferedSegmentsPerDirection: Int = 128, maxBufferedBytes: Int = 64 << 20,
                    maxBufferedSegments: Int = 65_536, reorderTimeout: UInt64 = 3_000_000_000,
                    idleTimeout: UInt64 = 300_000_000_000, closedLinger: UInt64 = 2_000_000_000,
                    maxWindow: Int = 1 << 30) {
            self.maxConnections = min(max(1, maxConnections), 1 << 24)
            self.maxBufferedBytes = max(0, maxBufferedBytes)
            self.maxBufferedSegments = min(max(1, maxBufferedSegments), 1 << 24)
            self.maxBufferedBytesPerDirection = min(max(0, maxBufferedBytesPerDirection), self.maxBufferedBytes)
            self.maxBufferedSegmentsPerDirection = min(max(1, maxBufferedSegmentsPerDirection),
                                                       self.maxBufferedSegments)
            self.reorderTimeout = reorderTimeout
            self.idleTimeout = idleTimeout
            self.closedLinger = closedLinger
            // Below 2^31 so serial-number comparisons stay unambiguous.
            self.maxWindow = min(max(1, maxWindow), 1 << 30)
        }
    }

    enum ConnectionState: UInt8 {
        case free
        case open
        case closed
    }

    struct Connection {
        var key: FlowKey
        /// `key`'s hash for the index.
        var hash: UInt64 = 0
        var generation: UInt32 = 0
        var state = ConnectionState.free
        /// Latest packet time; for a closed connection, when it closed.
        var lastSeen: UInt64 = 0
        var client: FlowDirection?
    }

    public let configuration: Configuration
    var tally = TCPReassemblyCounters()
    /// Slots are made as connections first need them, up to
    /// `maxConnections`: storage for every possible connection made up front
    /// cost each start (a `read`, a `watch`) some 8 ms of page faults. Slots
    /// are handed out in the same order either way: lowest never-used slot,
    /// unless a released one waits in `freeConnections`.
    var connections: [Connection] = []
    var freeConnections: [Int32] = []
    /// Open and lingering connections by key.
    var index: TCPConnectionIndex
    /// Seeds the index's key hash (random, as the flow table's).
    let seed: UInt64
    var connectionLinks: [IndexLinks] = []
    /// Open connections, least recently active first.
    var openList = IndexList()
    /// Closed connections lingering, oldest close first.
    var closedList = IndexList()
    /// Two per connection: `slot * 2 + FlowDirection.rawValue`.
    var directions: [TCPDirectionState] = []
    var directionLinks: [IndexLinks] = []
    /// Directions with a hole, the longest-waiting first.
    var waitingList = IndexList()
    var pool: SegmentPool

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        index = TCPConnectionIndex(minimumCapacity: min(configuration.maxConnections, 1024))
        var generator = SystemRandomNumberGenerator()
        seed = generator.next()
        pool = SegmentPool(capacity: configuration.maxBufferedSegments)
    }

    /// One more slot, free. Storage grows geometrically underneath.
    private mutating func makeSlot() {
        let blank = FlowKey(lowAddress: .zero, highAddress: .zero, lowPort: 0, highPort: 0, ipProtocol: 0, vlanID: 0)
        freeConnections.append(Int32(connections.count))
        connections.append(Connection(key: blank))
        connectionLinks.append(IndexLinks())
        directions.append(TCPDirectionState())
        directions.append(TCPDirectionState())
        directionLinks.append(IndexLinks())
        directionLinks.append(IndexLinks())
    }

    /// Counters, with the gauges filled in from current state.
    public var counters: TCPReassemblyCounters {
        var counters = tally
        counters.openConnections = openList.count
        counters.bufferedSegments = pool.used
        counters.bufferedBytes = pool.bytes
        return counters
    }

    /// Handles one decoded packet (`bytes` is the buffer it was decoded
    /// from). Non-TCP packets and fragments are ignored. Returns the
    /// connection the segment belongs to, nil when it was not tracked.
    @discardableResult
    public mutating func process<Sink: StreamSink>(_ bytes: UnsafeRawBufferPointer, packet: DecodedPacket,
                                                   timestamp: UInt64, sink: inout Sink) -> TCPStreamID? {
        guard packet.transport == .tcp, let (key, direction) = FlowKey.make(for: packet) else { return nil }
        return process(bytes, packet: packet, key: key, direction: direction, timestamp: timestamp, sink: &sink)
    }

    /// As above, with the key and direction the caller already computed
    /// (e.g. for its `FlowTable`).
    @discardableResult
    public mutating func process<Sink: StreamSink>(
        _ bytes: UnsafeRawBufferPointer, packet: DecodedPacket, key: FlowKey, direction: FlowDirection,
        timestamp: UInt64, sink: inout Sink
    ) -> TCPStreamID? {
        guard packet.transport == .tcp, !packet.fragment.isFragment else { return nil }
        tally.segments &+= 1
        expire(now: timestamp, sink: &sink)
        let start = packet.payloadOffset
        guard ByteReader(bytes).has(start, packet.payloadLength, end: bytes.count) else {
            tally.malformed &+= 1
            return nil
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<(start &+ packet.payloadLength)])
        let flags = packet.tcp.flags
        let sequence = packet.tcp.sequence
        let side = Int(direction.rawValue)

        var slot = -1
        let hash = key.hash(seed: seed)
        if let found = index.find(key, hash: hash, in: connections) {
            slot = Int(found)
            if connections[slot].state == .closed {
                guard flags.contains(.syn) && !flags.contains(.ack) else {
                    tally.afterClose &+= 1
                    return nil
                }
                release(slot)  // port reuse after a clean close
                slot = -1
            } else if flags.contains(.syn) && !flags.contains(.ack)
                        && startsNewConnection(directions[slot &* 2 &+ side], synSequence: sequence) {
                close(slot, reason: .reopened, now: timestamp, sink: &sink)
                slot = -1
            }
        }
        if slot < 0 {
            guard flags.contains(.syn) || !payload.isEmpty, !flags.contains(.rst) else { return nil }
            slot = open(key, hash: hash, flags: flags, direction: direction, now: timestamp, sink: &sink)
        }
        if timestamp > connections[slot].lastSeen { connections[slot].lastSeen = timestamp }
        openList.moveToBack(Int32(slot), links: &connectionLinks)
        let id = TCPStreamID(slot: slot, generation: connections[slot].generation)
        if flags.contains(.rst) {
            close(slot, reason: .reset, now: timestamp, sink: &sink)
            return id
        }
        receiveSegment(slot &* 2 &+ side, flags: flags, sequence: sequence, payload: payload,
                       timestamp: timestamp, sink: &sink)
        closeIfFinished(slot, now: timestamp, sink: &sink)
        return id
    }

    /// Applies the packet-time limits: idle connections close, lingering
    /// ones are forgotten and holes older than `reorderTimeout` become gaps.
    /// `process` calls this itself; call it when no packets arrive.
    public mutating func expire<Sink: StreamSink>(now: UInt64, sink: inout Sink) {
        while let slot = openList.first,
              FlowTable.elapsed(since: connections[Int(slot)].lastSeen, now) >= configuration.idleTimeout {
            close(Int(slot), reason: .idleTimeout, now: now, sink: &sink)
        }
        while let slot = closedList.first,
              FlowTable.elapsed(since: connections[Int(slot)].lastSeen, now) >= configuration.closedLinger {
            release(Int(slot))
        }
        while let direction = waitingList.first,
              FlowTable.elapsed(since: directions[Int(direction)].holeSince, now) >= configuration.reorderTimeout {
            tally.gapsFromTimeout &+= 1
            skipFrontHole(Int(direction), timestamp: now, sink: &sink)
            closeIfFinished(Int(direction) >> 1, now: now, sink: &sink)
        }
    }

    /// End of capture: closes every connection (reason `.flushed`), leaving
    /// the reassembler empty.
    public mutating func flush<Sink: StreamSink>(now: UInt64, sink: inout Sink) {
        while let slot = openList.first { close(Int(slot), reason: .flushed, now: now, sink: &sink) }
        while let slot = closedList.first { release(Int(slot)) }
    }

    // MARK: - Connections

    private mutating func open<Sink: StreamSink>(_ key: FlowKey, hash: UInt64, flags: TCPFlags,
                                                 direction: FlowDirection, now: UInt64, sink: inout Sink) -> Int {
        if freeConnections.isEmpty && connections.count < configuration.maxConnections { makeSlot() }
        if freeConnections.isEmpty {
            if let lingering = closedList.first {
                release(Int(lingering))
            } else if let oldest = openList.first {
                close(Int(oldest), reason: .evicted, now: now, sink: &sink)
            }
        }
        let slot = Int(freeConnections.removeLast())  // maxConnections ≥ 1: a slot was made or freed
        connections[slot].key = key
        connections[slot].hash = hash
        connections[slot].generation &+= 1
        connections[slot].state = .open
        connections[slot].lastSeen = now
        connections[slot].client = flags.contains(.syn) ? (flags.contains(.ack) ? direction.reversed : direction) : nil
        directions[slot &* 2] = TCPDirectionState()
        directions[slot &* 2 &+ 1] = TCPDirectionState()
        index.insert(Int32(slot), hash: hash, connections: connections)
        openList.append(Int32(slot), links: &connectionLinks)
        tally.opened &+= 1
        sink.opened(stream(slot), timestamp: now)
        return slot
    }

    /// Reports the remaining holes of both directions as gaps (delivering
    /// what was buffered behind them), tells the sink, then lets a FIN/RST
    /// close linger and frees the slot at once otherwise.
    mutating func close<Sink: StreamSink>(_ slot: Int, reason: StreamCloseReason, now: UInt64, sink: inout Sink) {
        flushHoles(slot &* 2, timestamp: now, sink: &sink)
        flushHoles(slot &* 2 &+ 1, timestamp: now, sink: &sink)
        sink.closed(stream(slot), reason: reason, timestamp: now)
        switch reason {
        case .fin: tally.closedByFIN &+= 1
        case .reset: tally.closedByReset &+= 1
        case .idleTimeout: tally.closedByTimeout &+= 1
        case .evicted: tally.evictedConnections &+= 1
        case .reopened, .flushed: tally.closedOther &+= 1
        }
        guard reason == .fin || reason == .reset else {
            release(slot)
            return
        }
        connections[slot].state = .closed
        connections[slot].lastSeen = now
        openList.remove(Int32(slot), links: &connectionLinks)
        closedList.append(Int32(slot), links: &connectionLinks)
    }

    mutating func closeIfFinished<Sink: StreamSink>(_ slot: Int, now: UInt64, sink: inout Sink) {
        guard connections[slot].state == .open, directions[slot &* 2].finished,
              directions[slot &* 2 &+ 1].finished else { return }
        close(slot, reason: .fin, now: now, sink: &sink)
    }

    /// A SYN on a direction already under way is a new connection on the
    /// same tuple, unless it repeats the SYN seen, or (direction started
    /// mid-stream) it sits just before the first byte seen: the connection's
    /// own SYN, overtaken by its data (e.g. captured on another queue).
    private func startsNewConnection(_ state: TCPDirectionState, synSequence: UInt32) -> Bool {
        guard state.started else { return false }
        if state.synSeen { return state.initialSequence != synSequence }
        let offset = state.distance(to: synSequence &+ 1)
        return offset > 0 || offset <= -configuration.maxWindow
    }

    /// Forgets a connection (open or lingering) and frees its slot.
    private mutating func release(_ slot: Int) {
        switch connections[slot].state {
        case .free: return
        case .open: openList.remove(Int32(slot), links: &connectionLinks)
        case .closed: closedList.remove(Int32(slot), links: &connectionLinks)
        }
        for direction in (slot &* 2)...(slot &* 2 &+ 1) {
            // Normally empty already: closing flushed every hole. (Tested
            // first: the pool's array was otherwise made unique on every
            // release, a copy while it is still the shared empty array.)
            if directions[direction].head >= 0 { pool.dropAll(of: &directions[direction]) }
            if directions[direction].waiting { waitingList.remove(Int32(direction), links: &directionLinks) }
            directions[direction] = TCPDirectionState()
        }
        index.remove(Int32(slot), connections: connections)
        connections[slot].state = .free
        freeConnections.append(Int32(slot))
    }

    func stream(_ slot: Int) -> TCPStream {
        TCPStream(id: TCPStreamID(slot: slot, generation: connections[slot].generation),
                  key: connections[slot].key, client: connections[slot].client)
    }
}
