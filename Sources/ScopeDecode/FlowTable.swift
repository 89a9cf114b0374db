/// Bidirectional flow accounting with bounded memory.
///
/// All storage is allocated in `init` (see `FlowStorage`); looking up and
/// updating a flow, creating one and evicting one are index arithmetic on
/// preallocated arrays, with events handed to a non-escaping closure, so the
/// per-packet path does not allocate. Time advances only with the packet
/// timestamps given (nanoseconds since the epoch).
///
/// Flows end on TCP FIN from both sides or RST (the record then lingers
/// briefly in a closed state, still counting the last ACKs and retransmitted
/// RSTs instead of opening junk flows, and reports when the linger is over
/// or a new SYN reopens the tuple), on idle timeout, or by eviction of the
/// longest-idle flow when the table is full. Fragments are ignored: account reassembled datagrams.
public struct FlowTable: Sendable {
    public struct Configuration: Sendable {
        public var maxFlows: Int
        public var tcpIdleTimeout: UInt64
        public var udpIdleTimeout: UInt64
        public var otherIdleTimeout: UInt64
        /// How long a closed TCP flow absorbs stragglers after its final event.
        public var closedLinger: UInt64
        /// Period of non-final reports from `reportDue(now:)`.
        public var reportInterval: UInt64
        public var communityIDSeed: UInt16
        /// Fixed hash seed for reproducible tests; random when nil.
        public var hashSeed: UInt64?

        public init(maxFlows: Int = 65_536, tcpIdleTimeout: UInt64 = 300_000_000_000,
                    udpIdleTimeout: UInt64 = 60_000_000_000, otherIdleTimeout: UInt64 = 30_000_000_000,
                    closedLinger: UInt64 = 2_000_000_000, reportInterval: UInt64 = 10_000_000_000,
                    communityIDSeed: UInt16 = 0, hashSeed: UInt64? = nil) {
            self.maxFlows = min(max(1, maxFlows), 1 << 26)
            self.tcpIdleTimeout = tcpIdleTimeout
            self.udpIdleTimeout = udpIdleTimeout
            self.otherIdleTimeout = otherIdleTimeout
            self.closedLinger = closedLinger
            self.reportInterval = reportInterval
            self.communityIDSeed = communityIDSeed
            self.hashSeed = hashSeed
        }
    }

    public struct Counters: Equatable, Sendable {
        public var created: UInt64 = 0
        public var evicted: UInt64 = 0
        public var timedOut: UInt64 = 0
        /// Ended by FIN from both sides or by RST.
        public var closed: UInt64 = 0
        public var active: Int = 0
        public init() {}
    }

    public let configuration: Configuration
    public private(set) var counters = Counters()
    var storage: FlowStorage
    private let seed: UInt64
    private var nextReport: UInt64?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        storage = FlowStorage(capacity: configuration.maxFlows)
        var generator = SystemRandomNumberGenerator()
        seed = configuration.hashSeed ?? generator.next()
    }

    /// Accounts one packet. Returns which side of the flow sent it, or nil for
    /// packets without a flow (non-IP, fragments). `length` is the byte count
    /// to add (defaults to the captured frame length). Final events of flows
    /// that end or are evicted here go to `emit`.
    @discardableResult
    public mutating func update(_ packet: DecodedPacket, timestamp: UInt64, length: Int? = nil,
                                emit: (FlowEvent) -> Void = { _ in }) -> FlowDirection? {
        guard let (key, direction) = FlowKey.make(for: packet) else { return nil }
        let bytes = UInt64(max(0, length ?? packet.capturedLength))
        let hash = key.hash(seed: seed)
        let tcpFlags = packet.transport == .tcp ? packet.tcp.flags : TCPFlags()
        var (slot, found) = storage.find(key, hash: hash)

        if found >= 0 && storage.records[Int(found)].list == FlowStorage.closedList
            && tcpFlags.contains(.syn) && !tcpFlags.contains(.ack) {
            // Port reuse: the closed flow ends here, a new one begins.
            emit(event(found, now: timestamp, reason: storage.records[Int(found)].endReason))
            storage.remove(found)
            (slot, found) = storage.find(key, hash: hash)
        }
        if found < 0 {
            if storage.freeRecords.isEmpty {
                evictOne(now: timestamp, emit: emit)
                (slot, _) = storage.find(key, hash: hash)  // deletion may shift entries
            }
            var record = FlowRecord(key: key)
            record.hash = hash
            record.id = FlowTable.flowID(key, firstSeen: timestamp)
            record.firstSeen = timestamp
            record.lastSeen = timestamp
            record.initiator = FlowTable.initiator(of: packet, sender: direction)
            record.communityID = FlowTable.communityID(of: packet, seed: configuration.communityIDSeed)
            guard let index = storage.insert(record, slot: slot, list: FlowTable.list(for: key.ipProtocol)) else {
                return nil
            }
            found = index
            counters.created &+= 1
        }

        let position = Int(found)
        if direction == .fromLow {
            storage.records[position].packetsFromLow &+= 1
            storage.records[position].bytesFromLow &+= bytes
        } else {
            storage.records[position].packetsFromHigh &+= 1
            storage.records[position].bytesFromHigh &+= bytes
        }
        if timestamp > storage.records[position].lastSeen { storage.records[position].lastSeen = timestamp }
        storage.moveToFront(found)

        if packet.transport == .tcp && storage.records[position].list != FlowStorage.closedList {
            var sides = storage.records[position].tcp
            if tcpFlags.contains(.syn) { sides.insert(tcpFlags.contains(.ack) ? .synAck : .syn) }
            if tcpFlags.contains(.fin) { sides.insert(direction == .fromLow ? .finFromLow : .finFromHigh) }
            if tcpFlags.contains(.rst) { sides.insert(.rst) }
            storage.records[position].tcp = sides
            if sides.contains(.rst) {
                close(found, reason: .reset, now: timestamp, emit: emit)
            } else if sides.contains([.finFromLow, .finFromHigh]) {
                close(found, reason: .closed, now: timestamp, emit: emit)
            }
        }
        counters.active = storage.activeCount - storage.counts[Int(FlowStorage.closedList)]
        return direction
    }

    /// Ends flows idle longer than their protocol's timeout (final events)
    /// and forgets closed flows past their linger time.
    public mutating func expire(now: UInt64, emit: (FlowEvent) -> Void) {
        for list in FlowStorage.tcpList...FlowStorage.otherList {
            let timeout = timeout(for: list)
            while let index = tail(of: list), FlowTable.elapsed(since: storage.records[Int(index)].lastSeen, now) >= timeout {
                emit(event(index, now: now, reason: .idleTimeout))
                counters.timedOut &+= 1
                storage.remove(index)
            }
        }
        while let index = tail(of: FlowStorage.closedList),
              FlowTable.elapsed(since: storage.records[Int(index)].lastSeen, now) >= configuration.closedLinger {
            emit(event(index, now: now, reason: storage.records[Int(index)].endReason))
            storage.remove(index)
        }
        counters.active = storage.activeCount - storage.counts[Int(FlowStorage.closedList)]
    }

    public mutating func expire(now: UInt64) -> [FlowEvent] {
        var events: [FlowEvent] = []
        expire(now: now) { events.append($0) }
        return events
    }

    /// Every `reportInterval`, a non-final report of each open flow. The
    /// first call only starts the clock.
    public mutating func reportDue(now: UInt64, emit: (FlowEvent) -> Void) {
        guard let due = nextReport else {
            nextReport = now &+ configuration.reportInterval
            return
        }
        guard now >= due else { return }
        nextReport = now &+ configuration.reportInterval
        for list in FlowStorage.tcpList...FlowStorage.otherList {
            var cursor = storage.heads[Int(list)]
            while cursor >= 0 {
                emit(event(cursor, now: now, reason: .active))
                cursor = storage.records[Int(cursor)].next
            }
        }
    }

    public mutating func reportDue(now: UInt64) -> [FlowEvent] {
        var events: [FlowEvent] = []
        reportDue(now: now) { events.append($0) }
        return events
    }

    /// Final events for every open flow (end of capture), leaving the table
    /// empty. They come out by start time, then Community ID (then id): an
    /// order of the traffic alone, so the same input gives the same output
    /// whatever the table's hash seed.
    public mutating func flush(now: UInt64, emit: (FlowEvent) -> Void) {
        var remaining: [Int32] = []
        for list in 0..<UInt8(FlowStorage.listCount) {
            var cursor = tail(of: list)
            while let index = cursor {
                remaining.append(index)
                let previous = storage.records[Int(index)].previous
                cursor = previous >= 0 ? previous : nil
            }
        }
        remaining.sort { storage.records[Int($0)].flushesBefore(storage.records[Int($1)]) }
        for index in remaining {
            let closed = storage.records[Int(index)].list == FlowStorage.closedList
            emit(event(index, now: now, reason: closed ? storage.records[Int(index)].endReason : .flushed))
        }
        for index in remaining { storage.remove(index) }
        counters.active = 0
    }

    /// `flow.id`: from the flow itself (its key and first packet time), as
    /// Packetbeat derives it from the flow's addresses, never from the
    /// table's random seed: the same capture gives the same ids on every run.
    static func flowID(_ key: FlowKey, firstSeen: UInt64) -> UInt64 {
        FlowKey.mix(key.hash(seed: 0x6470_646B_7363_6F70) ^ firstSeen)  // a fixed seed ("dpdkscop")
    }

    // MARK: - Policy

    /// FIN from both sides or RST: the flow lingers in the closed list and
    /// keeps counting (the last ACK is part of it, as tshark and Packetbeat
    /// count it); its final event goes out when the linger is over.
    private mutating func close(_ index: Int32, reason: FlowEvent.EndReason, now: UInt64, emit: (FlowEvent) -> Void) {
        storage.records[Int(index)].endReason = reason
        counters.closed &+= 1
        storage.move(index, toList: FlowStorage.closedList)
    }

    /// Frees one record: a closed flow if any (already reported), otherwise
    /// the open flow idle the longest across the protocol lists.
    private mutating func evictOne(now: UInt64, emit: (FlowEvent) -> Void) {
        if let index = tail(of: FlowStorage.closedList) {
            emit(event(index, now: now, reason: storage.records[Int(index)].endReason))
            storage.remove(index)
            return
        }
        var victim: Int32?
        for list in FlowStorage.tcpList...FlowStorage.otherList {
            guard let index = tail(of: list) else { continue }
            if let current = victim, storage.records[Int(current)].lastSeen <= storage.records[Int(index)].lastSeen {
                continue
            }
            victim = index
        }
        guard let victim else { return }
        emit(event(victim, now: now, reason: .evicted))
        counters.evicted &+= 1
        storage.remove(victim)
    }

    private func event(_ index: Int32, now: UInt64, reason: FlowEvent.EndReason) -> FlowEvent {
        let record = storage.records[Int(index)]
        let lowIsSource = record.initiator == .fromLow
        var state = TCPConnectionState()
        if record.tcp.contains(.syn) { state.insert(.syn) }
        if record.tcp.contains(.synAck) { state.insert(.synAck) }
        if record.tcp.contains(.rst) { state.insert(.rst) }
        if record.tcp.contains(lowIsSource ? .finFromLow : .finFromHigh) { state.insert(.finFromSource) }
        if record.tcp.contains(lowIsSource ? .finFromHigh : .finFromLow) { state.insert(.finFromDestination) }
        let key = record.key
        return FlowEvent(
            timestamp: now, flowID: record.id, isFinal: reason != .active, endReason: reason,
            start: record.firstSeen, end: record.lastSeen,
            source: lowIsSource ? key.lowAddress : key.highAddress,
            sourcePort: lowIsSource ? key.lowPort : key.highPort,
            sourceBytes: lowIsSource ? record.bytesFromLow : record.bytesFromHigh,
            sourcePackets: lowIsSource ? record.packetsFromLow : record.packetsFromHigh,
            destination: lowIsSource ? key.highAddress : key.lowAddress,
            destinationPort: lowIsSource ? key.highPort : key.lowPort,
            destinationBytes: lowIsSource ? record.bytesFromHigh : record.bytesFromLow,
            destinationPackets: lowIsSource ? record.packetsFromHigh : record.packetsFromLow,
            ipProtocol: key.ipProtocol, vlanID: key.vlanID, communityID: record.communityID, tcpState: state)
    }

    /// The initiator is the sender of the first packet, except when that
    /// packet is obviously an answer (TCP SYN-ACK, ICMP echo reply).
    static func initiator(of packet: DecodedPacket, sender: FlowDirection) -> FlowDirection {
        switch packet.transport {
        case .tcp where packet.tcp.flags.contains([.syn, .ack]):
            return sender.reversed
        case .icmpv4 where packet.icmp.type == 0, .icmpv6 where packet.icmp.type == 129:
            return sender.reversed
        default:
            return sender
        }
    }

    static func communityID(of packet: DecodedPacket, seed: UInt16) -> SHA1Digest {
        var ports: (UInt16, UInt16) = (0, 0)
        switch packet.transport {
        case .tcp, .udp: ports = (packet.sourcePort, packet.destinationPort)
        case .icmpv4, .icmpv6: ports = (UInt16(packet.icmp.type), UInt16(packet.icmp.code))
        default: break
        }
        return CommunityID.digest(source: packet.source, destination: packet.destination,
                                  ipProtocol: packet.ipProtocol, sourcePort: ports.0,
                                  destinationPort: ports.1, seed: seed)
    }

    static func list(for ipProtocol: UInt8) -> UInt8 {
        switch ipProtocol {
        case 6: return FlowStorage.tcpList
        case 17: return FlowStorage.udpList
        default: return FlowStorage.otherList
        }
    }

    private func timeout(for list: UInt8) -> UInt64 {
        switch list {
        case FlowStorage.tcpList: return configuration.tcpIdleTimeout
        case FlowStorage.udpList: return configuration.udpIdleTimeout
        default: return configuration.otherIdleTimeout
        }
    }

    /// Time since `then`, zero if packet timestamps went backwards.
    static func elapsed(since then: UInt64, _ now: UInt64) -> UInt64 {
        now >= then ? now - then : 0
    }

    private func tail(of list: UInt8) -> Int32? {
        let index = storage.tails[Int(list)]
        return index >= 0 ? index : nil
    }
}

extension FlowRecord {
    /// The documented order of the flows flushed at the end: start time,
    /// then Community ID as printed, then id.
    func flushesBefore(_ other: FlowRecord) -> Bool {
        if firstSeen != other.firstSeen { return firstSeen < other.firstSeen }
        if communityID != other.communityID {
            return CommunityID.string(communityID) < CommunityID.string(other.communityID)
        }
        return id < other.id
    }
}
