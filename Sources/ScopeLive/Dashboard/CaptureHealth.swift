import ScopeCore

/// The capture's health line: packets taken per second and what the
/// primary's pdump counters did over the interval. Counters only grow;
/// a counter that went back (a queue re-registered) counts as zero.
public struct CaptureHealth: Sendable {
    public struct Figures: Sendable, Equatable {
        public var packetsPerSecond: Double
        /// pdump counter changes over the interval.
        public var delta: PdumpCounters
        /// Counters since the primary started counting for our queues.
        public var totals: PdumpCounters
        /// Of the packets the primary tried to hand us, the share lost (0...1).
        public var dropRate: Double
        public var totalDropRate: Double
        /// Of the packets taken over the interval, the share analysed (0...1;
        /// below 1 when analysis shed flows under overload: the rates and
        /// latencies then describe that share of the flows only).
        public var analysedShare: Double = 1
    }

    private var last: (packets: UInt64, shed: UInt64, counters: PdumpCounters, time: UInt64)?

    public init() {}

    /// Share of copies lost: (nombuf + ringfull) / (accepted + nombuf + ringfull).
    public static func dropRate(_ counters: PdumpCounters) -> Double {
        let lost = counters.nombuf.addingReportingOverflow(counters.ringfull)
        let offered = lost.partialValue.addingReportingOverflow(counters.accepted)
        guard !lost.overflow, !offered.overflow, offered.partialValue > 0 else { return lost.overflow ? 1 : 0 }
        return Double(lost.partialValue) / Double(offered.partialValue)
    }

    /// The figures since the previous update (since nothing, the first
    /// time: the rate is then 0). `now` in monotonic nanoseconds;
    /// `packets` is the running count of packets taken from the ring,
    /// `shed` of those that analysis passed over.
    public mutating func update(packets: UInt64, shed: UInt64 = 0, counters: PdumpCounters, now: UInt64) -> Figures {
        let previous = last ?? (packets, shed, counters, now)
        last = (packets, shed, counters, now)
        let seconds = Double(now > previous.time ? now - previous.time : 0) / 1e9
        let taken = packets >= previous.packets ? packets - previous.packets : 0
        let delta = PdumpCounters(accepted: Self.growth(previous.counters.accepted, counters.accepted),
                                  filtered: Self.growth(previous.counters.filtered, counters.filtered),
                                  nombuf: Self.growth(previous.counters.nombuf, counters.nombuf),
                                  ringfull: Self.growth(previous.counters.ringfull, counters.ringfull))
        let passedOver = min(taken, Self.growth(previous.shed, shed))
        return Figures(packetsPerSecond: seconds > 0 ? Double(taken) / seconds : 0, delta: delta, totals: counters,
                       dropRate: Self.dropRate(delta), totalDropRate: Self.dropRate(counters),
                       analysedShare: taken > 0 ? Double(taken - passedOver) / Double(taken) : 1)
    }

    private static func growth(_ before: UInt64, _ after: UInt64) -> UInt64 {
        after >= before ? after - before : 0
    }
}
