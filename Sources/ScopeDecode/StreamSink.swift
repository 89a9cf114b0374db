/// Identifies one connection inside a `TCPStreamReassembler`. `slot` lies in
/// `0..<maxConnections` and stays fixed for the connection's lifetime, so a
/// parser can keep per-connection state in a preallocated array indexed by
/// it; `generation` changes every time the slot is reused.
public struct TCPStreamID: Hashable, Sendable {
    public var slot: Int
    public var generation: UInt32

    public init(slot: Int, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
}

/// The connection a sink call is about. Plain values only, so handing it to
/// the sink for every delivery costs a copy, never a retain.
public struct TCPStream: Sendable {
    public var id: TCPStreamID
    public var key: FlowKey
    /// The side that opened the connection: the sender of the SYN (or the
    /// receiver of the SYN-ACK, when that came first); nil while no SYN was
    /// seen, as when the capture began mid-stream.
    public var client: FlowDirection?

    public init(id: TCPStreamID, key: FlowKey, client: FlowDirection?) {
        self.id = id
        self.key = key
        self.client = client
    }
}

public enum StreamCloseReason: UInt8, Sendable {
    /// Both directions delivered everything up to their FIN.
    case fin
    case reset
    /// No packet for `idleTimeout` (packet time).
    case idleTimeout
    /// Dropped to make room for a new connection (`maxConnections`).
    case evicted
    /// A new SYN reused the tuple of a connection that never closed.
    case reopened
    /// `flush(now:sink:)`: end of capture.
    case flushed
}

/// Receives one connection's byte streams from a `TCPStreamReassembler`,
/// strictly in sequence order per direction. The reassembler's methods are
/// generic over the sink, so these calls are direct (specialised) calls
/// rather than through a closure or an existential.
///
/// `bytes` is valid only during the call: for in-order segments it points
/// straight into the packet buffer. Calls for one connection arrive in the
/// order `opened`, any number of `deliver`/`gap` per direction, `closed`.
/// Sink calls may also concern other connections than the packet being
/// processed (time-outs and evictions run on every packet).
public protocol StreamSink {
    /// A connection was created (first SYN or first segment with data).
    mutating func opened(_ stream: TCPStream, timestamp: UInt64)
    /// The next bytes of `direction`, in order. `timestamp` is when the
    /// segment carrying them was captured (earlier than the current packet
    /// for data that waited in the reorder buffer).
    mutating func deliver(_ bytes: UnsafeRawBufferPointer, stream: TCPStream, direction: FlowDirection,
                          timestamp: UInt64)
    /// `length` bytes of `direction` will never be delivered: delivery
    /// resumes right after them. A parser should resynchronise or drop its
    /// state for that direction.
    mutating func gap(length: Int, stream: TCPStream, direction: FlowDirection, timestamp: UInt64)
    /// No more calls for this connection. Holes still open were reported as
    /// gaps and data buffered behind them delivered before this call.
    mutating func closed(_ stream: TCPStream, reason: StreamCloseReason, timestamp: UInt64)
}

extension StreamSink {
    public mutating func opened(_ stream: TCPStream, timestamp: UInt64) {}
}
