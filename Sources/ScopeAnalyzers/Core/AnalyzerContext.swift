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
    /// The enabled protocol that takes ICMP messages, if any.
    let icmpProtocol: ApplicationProtocol?
    /// No detection by content: connections are attributed by port alone.
    let portsOnly: Bool
    /// Per protocol (by registry index): named in the selection, so all its
    /// events are reported; else it runs only to carry a protocol that is
    /// (gRPC in HTTP/2), and only that protocol's events are.
    private let reportsEverything: [Bool]
    // Stored properties of the context and the sessions are exempt from
    // dynamic exclusivity checks (a fifth of the analysis time): one engine,
    // one thread, and nothing a session calls reaches back into it.
    @exclusivity(unchecked) private(set) var events: [TransactionEvent] = []
    /// The batch being handed over (events emitted meanwhile go to `events`).
    @exclusivity(unchecked) private var delivering: [TransactionEvent] = []
    @exclusivity(unchecked) private var tallies = Array(repeating: AnalyzerCounters(), count: ApplicationProtocol.allCases.count)
    /// Asked by the session handling the current delivery (`handOver`),
    /// taken by `TCPSessionTable` when the delivery returns.
    @exclusivity(unchecked) var pendingHandOver: StreamHandOver? {
        didSet { handOverPending = pendingHandOver.isSome }
    }
    /// `pendingHandOver` is set; checked after every delivery. Reading the
    /// optional itself out of the context copied it (its `Any` seed through
    /// outlined copy and destroy calls) just to look at its case.
    @exclusivity(unchecked) private(set) var handOverPending = false
    /// Per protocol (by registry index): state its sessions share across
    /// connections (`shared`), made when first needed.
    @exclusivity(unchecked) private var sharedState: [AnyObject?]
    /// Per protocol (by registry index): its packet analyzer, made when first needed.
    @exclusivity(unchecked) private var packetAnalyzers: [PacketAnalyzer?]

    init(configuration: AnalyzerConfiguration) {
        self.configuration = configuration
        ports = PortMap(configuration.selection)
        let analyzed = configuration.selection.analyzed
        streamProtocols = analyzed.filter(\.runsOverTCP)
        datagramProtocols = analyzed.filter(\.runsOverUDP)
        icmpProtocol = analyzed.first(where: \.runsOverICMP)
        reportsEverything = ApplicationProtocol.allCases.map { configuration.selection.reportsEverything(of: $0) }
        packetAnalyzers = Array(repeating: nil, count: ApplicationProtocol.allCases.count)
        sharedState = Array(repeating: nil, count: ApplicationProtocol.allCases.count)
        portsOnly = !configuration.selection.detectByContent
        events.reserveCapacity(64)
        delivering.reserveCapacity(64)
    }

    func count(_ proto: ApplicationProtocol, _ update: (inout AnalyzerCounters) -> Void) {
        update(&tallies[proto.index])
    }

    func counters(_ proto: ApplicationProtocol) -> AnalyzerCounters { tallies[proto.index] }

    /// Queues an event and counts it as a transaction. Consumed: the
    /// event is moved into the queue, not copied (a copy retains every
    /// String and array in it). An event of an analyzer that runs only to
    /// carry a selected protocol is dropped unless it is of that protocol
    /// (counted as `unselected`: asked for by no one, not lost).
    func emit(_ event: consuming TransactionEvent) {
        guard reportsEverything[event.application.index] || isSelectedCarried(event.details) else {
            count(event.application) { $0.unselected &+= 1 }
            return
        }
        count(event.application) { $0.transactions &+= 1 }
        events.append(event)
    }

    private func isSelectedCarried(_ details: any TransactionDetail) -> Bool {
        guard let carried = details.carriedProtocol else { return false }
        return reportsEverything[carried.index]
    }

    /// The protocol's packet analyzer (made on first use). Only for
    /// protocols whose definition makes one.
    func packetAnalyzer(_ proto: ApplicationProtocol) -> PacketAnalyzer {
        if let analyzer = packetAnalyzers[proto.index] { return analyzer }
        guard let make = proto.definition.makePacketAnalyzer else {
            preconditionFailure("\(proto) has no packet analyzer; its definition lists UDP or ICMP without one")
        }
        let analyzer = make(self)
        packetAnalyzers[proto.index] = analyzer
        return analyzer
    }

    /// What `proto`'s sessions share in this engine (a cache across
    /// connections), made by `make` on first use. One engine, one thread:
    /// no lock.
    func shared<State: AnyObject>(_ proto: ApplicationProtocol, _ make: () -> State) -> State {
        if let state = sharedState[proto.index] { return unsafeDowncast(state, to: State.self) }
        let state = make()
        sharedState[proto.index] = state
        return state
    }

    /// Packet time moved on: the engine-wide correlators report what timed
    /// out, in registry order.
    func expireCorrelators(now: UInt64) {
        for case let analyzer? in packetAnalyzers { analyzer.expire(now: now) }
    }

    /// End of input: the correlators report everything still pending.
    func drainCorrelators(now: UInt64) {
        for case let analyzer? in packetAnalyzers { analyzer.drain(now: now) }
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
