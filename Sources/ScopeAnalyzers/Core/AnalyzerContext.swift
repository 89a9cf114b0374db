/// What every session of one engine shares: configuration, the port map,
/// the outbox of events, per-protocol counters, and correlators that span
/// connections (DNS pairs queries across UDP datagrams and TCP streams).
/// A class so sessions can hold it without copying; one engine, one thread.
final class AnalyzerContext {
    let configuration: AnalyzerConfiguration
    let ports: PortMap
    /// Enabled protocols that run over TCP / UDP, in registry order.
    let streamProtocols: [ApplicationProtocol]
    let datagramProtocols: [ApplicationProtocol]
    let icmpEnabled: Bool
    /// No detection by content: connections are attributed by port alone.
    let portsOnly: Bool
    // Stored properties of the context and the sessions are exempt from
    // dynamic exclusivity checks (a fifth of the analysis time): one engine,
    // one thread, and nothing a session calls reaches back into it.
    @exclusivity(unchecked) private(set) var events: [TransactionEvent] = []
    /// The batch being handed over (events emitted meanwhile go to `events`).
    @exclusivity(unchecked) private var delivering: [TransactionEvent] = []
    @exclusivity(unchecked) private var tallies = Array(repeating: AnalyzerCounters(), count: ApplicationProtocol.allCases.count)
    lazy var dns = DNSCorrelator(context: self)
    lazy var memcacheUDP = MemcacheDatagramCorrelator(context: self)
    lazy var icmp = ICMPCorrelator(context: self)

    init(configuration: AnalyzerConfiguration) {
        self.configuration = configuration
        ports = PortMap(configuration.selection)
        streamProtocols = configuration.selection.enabled.filter(\.runsOverTCP)
        datagramProtocols = configuration.selection.enabled.filter(\.runsOverUDP)
        icmpEnabled = configuration.selection.isEnabled(.icmp)
        portsOnly = !configuration.selection.detectByContent
        events.reserveCapacity(64)
        delivering.reserveCapacity(64)
    }

    func count(_ proto: ApplicationProtocol, _ update: (inout AnalyzerCounters) -> Void) {
        update(&tallies[proto.counterIndex])
    }

    func counters(_ proto: ApplicationProtocol) -> AnalyzerCounters { tallies[proto.counterIndex] }

    /// Queues an event and counts it as a transaction. Consumed: the
    /// event is moved into the queue, not copied (a copy retains every
    /// String and array in it).
    func emit(_ event: consuming TransactionEvent) {
        count(event.application) { $0.transactions &+= 1 }
        events.append(event)
    }

    /// Packet time moved on: the engine-wide correlators report what timed out.
    func expireCorrelators(now: UInt64) {
        dns.expire(now: now)
        memcacheUDP.expire(now: now)
        icmp.expire(now: now)
    }

    /// End of input: the correlators report everything still pending.
    func drainCorrelators(now: UInt64) {
        dns.drain(now: now)
        memcacheUDP.drain(now: now)
        icmp.drain(now: now)
    }

    /// Hands the queued events over, oldest first.
    func drainEvents(_ deliver: (TransactionEvent) -> Void) {
        guard !events.isEmpty else { return }
        swap(&events, &delivering)
        // Lent in place through the buffer: iterating the array would copy each event.
        delivering.withUnsafeBufferPointer { batch in
            for index in batch.indices { deliver(batch[index]) }
        }
        delivering.removeAll(keepingCapacity: true)
    }

    /// Swaps the queue into `batch`: when `batch` is empty (the intended
    /// use) the whole queue changes hands without a copy; otherwise the
    /// events are appended to it.
    func takeEvents(_ batch: inout [TransactionEvent]) {
        if batch.isEmpty {
            swap(&events, &batch)
        } else {
            batch.append(contentsOf: events)
            events.removeAll(keepingCapacity: true)
        }
    }
}

extension ApplicationProtocol {
    /// nil for an index out of range.
    init?(counterIndex: Int) {
        switch counterIndex {
        case 0: self = .http
        case 1: self = .dns
        case 2: self = .redis
        case 3: self = .mysql
        case 4: self = .pgsql
        case 5: self = .memcache
        case 6: self = .icmp
        default: return nil
        }
    }

    var counterIndex: Int {
        switch self {
        case .http: 0
        case .dns: 1
        case .redis: 2
        case .mysql: 3
        case .pgsql: 4
        case .memcache: 5
        case .icmp: 6
        }
    }
}
