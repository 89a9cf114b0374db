/// Counters for one interface, as carried by an Interface Statistics Block.
/// Every field is optional because pcapng makes every ISB option optional;
/// times are nanoseconds since the epoch on CLOCK_REALTIME, the clock of the
/// packet timestamps. Counters run from the start of the capture, not of the
/// file (pcapng defines them that way), so every rotated file repeats them.
public struct InterfaceStatistics: Sendable, Equatable {
    public var startTime: UInt64?
    public var endTime: UInt64?
    /// isb_ifrecv: packets the interface saw.
    public var received: UInt64?
    /// isb_ifdrop: packets lost by the interface/capture path.
    public var dropped: UInt64?
    /// isb_filteraccept: packets that passed the filter.
    public var filterAccepted: UInt64?
    /// isb_osdrop: packets dropped by the "OS" (for us: pdump ring/mbuf failures).
    public var osDropped: UInt64?
    /// isb_usrdeliv: packets delivered to the user (written).
    public var userDelivered: UInt64?

    public init(startTime: UInt64? = nil, endTime: UInt64? = nil, received: UInt64? = nil,
                dropped: UInt64? = nil, filterAccepted: UInt64? = nil, osDropped: UInt64? = nil,
                userDelivered: UInt64? = nil) {
        self.startTime = startTime
        self.endTime = endTime
        self.received = received
        self.dropped = dropped
        self.filterAccepted = filterAccepted
        self.osDropped = osDropped
        self.userDelivered = userDelivered
    }
}

/// pcapng Interface Statistics Block. `timestamp` and the start/end times are
/// in the interface's if_tsresol units; our IDBs use nanoseconds.
public struct InterfaceStatisticsBlock: Sendable, Equatable {
    public var interfaceID: UInt32
    public var timestamp: UInt64
    public var statistics: InterfaceStatistics
    public var comment: String?

    public init(interfaceID: UInt32, timestamp: UInt64, statistics: InterfaceStatistics, comment: String? = nil) {
        self.interfaceID = interfaceID
        self.timestamp = timestamp
        self.statistics = statistics
        self.comment = comment
    }

    public func encoded() -> [UInt8] {
        var block = PcapngBlockBuilder(type: PcapngBlockType.interfaceStatistics)
        block.append(interfaceID)
        block.append(UInt32(truncatingIfNeeded: timestamp >> 32))
        block.append(UInt32(truncatingIfNeeded: timestamp))
        if let comment { block.option(PcapngOption.comment, string: comment) }
        let s = statistics
        if let v = s.startTime { block.option(PcapngOption.isbStartTime, timestamp: v) }
        if let v = s.endTime { block.option(PcapngOption.isbEndTime, timestamp: v) }
        if let v = s.received { block.option(PcapngOption.isbIfRecv, uint64: v) }
        if let v = s.dropped { block.option(PcapngOption.isbIfDrop, uint64: v) }
        if let v = s.filterAccepted { block.option(PcapngOption.isbFilterAccept, uint64: v) }
        if let v = s.osDropped { block.option(PcapngOption.isbOSDrop, uint64: v) }
        if let v = s.userDelivered { block.option(PcapngOption.isbUserDelivered, uint64: v) }
        return block.finish()
    }
}
