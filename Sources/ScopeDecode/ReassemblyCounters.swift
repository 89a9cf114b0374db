/// What a `TCPStreamReassembler` did, cumulative since it was created. The
/// three `buffered*`/`open*` values are gauges (current state).
public struct TCPReassemblyCounters: Equatable, Sendable {
    /// TCP segments handed to `process` (including ones then ignored).
    public var segments: UInt64 = 0
    /// Payload bytes given to the sink, and in how many `deliver` calls.
    public var deliveredBytes: UInt64 = 0
    public var deliveries: UInt64 = 0

    /// Segments (or pieces of them) copied into a reorder buffer because
    /// they arrived ahead of a hole.
    public var outOfOrderSegments: UInt64 = 0
    /// Buffered pieces delivered because their hole was filled (no gap).
    public var reorderedThenFilled: UInt64 = 0
    /// Segments carrying only bytes already delivered or already buffered.
    public var retransmitsDropped: UInt64 = 0
    /// Segments that partly overlapped delivered or buffered bytes; the
    /// overlapping part was discarded (first arrival wins).
    public var overlapsTrimmed: UInt64 = 0
    /// Segments starting beyond `maxWindow` ahead, or carrying data past
    /// the direction's FIN (those bytes are discarded).
    public var outOfWindow: UInt64 = 0
    /// Segments for a connection already closed (absorbed while it lingers).
    public var afterClose: UInt64 = 0
    /// Packets whose payload bounds do not fit the buffer given.
    public var malformed: UInt64 = 0

    /// Holes given up on and reported to the sink, and their total size.
    public var gaps: UInt64 = 0
    public var gapBytes: UInt64 = 0
    /// How many of `gaps` were declared because the hole outlived `reorderTimeout`.
    public var gapsFromTimeout: UInt64 = 0

    /// Global memory pressure: reorder buffers flushed early (oldest hole
    /// first) to stay inside `maxBufferedBytes`/`maxBufferedSegments`, and
    /// the segments and bytes they held. Flushed data is not discarded: the
    /// hole is reported as a gap and the data delivered after it.
    public var evictedStreams: UInt64 = 0
    public var evictedSegments: UInt64 = 0
    public var evictedBytes: UInt64 = 0
    /// Connections closed to make room for a new one (`maxConnections`).
    public var evictedConnections: UInt64 = 0

    public var opened: UInt64 = 0
    /// Closed by FIN from both sides (after in-order delivery up to them).
    public var closedByFIN: UInt64 = 0
    public var closedByReset: UInt64 = 0
    public var closedByTimeout: UInt64 = 0
    /// Closed by a new SYN on the same tuple, or by `flush`.
    public var closedOther: UInt64 = 0

    public var openConnections = 0
    public var bufferedSegments = 0
    public var bufferedBytes = 0

    public init() {}

    /// Every connection close, whatever the reason.
    public var closed: UInt64 { closedByFIN &+ closedByReset &+ closedByTimeout &+ closedOther &+ evictedConnections }
}
