import ScopeDecode

/// Flow-control send windows (RFC 9113 §6.9) of one connection: the
/// connection's window per sender, and the initial stream window each
/// sender was given (the receiver's SETTINGS_INITIAL_WINDOW_SIZE). Each
/// stream keeps its own windows (`HTTP2StreamWindows`). Fixed size: memory
/// grows with the streams, which the stream cap bounds.
///
/// Known only from the connection's start: a capture that begins
/// mid-connection, a lost frame position or a gap leaves the windows
/// unknown, and from then on nothing is tracked (no false stalls).
struct HTTP2FlowControl {
    static let initialWindow: Int64 = 65_535
    static let maxWindow: Int64 = 0x7FFF_FFFF

    var known = true
    /// Send windows of the connection: of what the client sends, of what the server sends.
    var connection = DirectionPair { _ in HTTP2FlowControl.initialWindow }
    /// A new stream's send window per sender (what the other side announced).
    var initialStream = DirectionPair { _ in HTTP2FlowControl.initialWindow }
    /// Stream directions blocked now: a connection WINDOW_UPDATE looks for them only when some are.
    var blocked = 0
}

/// One stream's send windows, and how often and how long each sender was
/// stopped by them.
struct HTTP2StreamWindows {
    struct Side {
        var window = HTTP2FlowControl.initialWindow
        /// When the sender's DATA used up its window (connection's or
        /// stream's) with more to send; nil while it may send.
        var blockedSince: UInt64?
        var stalls: UInt32 = 0
        var stalledNanoseconds: UInt64 = 0
        /// A DATA frame went beyond the window (noted once).
        var overrun = false
    }

    var sides = DirectionPair { _ in Side() }

    /// RFC 9113's default windows (a stream upgraded from HTTP/1.1, or opened before any SETTINGS).
    init() {}

    init(initial: DirectionPair<Int64>) {
        sides.client.window = initial.client
        sides.server.window = initial.server
    }

    /// What the event reports: only sides that stalled.
    var report: HTTP2FlowStalls? {
        let request = sides.client.stalls > 0 ? (sides.client.stalls, sides.client.stalledNanoseconds) : nil
        let response = sides.server.stalls > 0 ? (sides.server.stalls, sides.server.stalledNanoseconds) : nil
        guard request != nil || response != nil else { return nil }
        return HTTP2FlowStalls(request: request.map { .init(stalls: $0.0, nanoseconds: $0.1) },
                               response: response.map { .init(stalls: $0.0, nanoseconds: $0.1) })
    }
}

/// `http2.flow_control`: per direction, the times its sender was stopped by
/// an exhausted window and then allowed on by a WINDOW_UPDATE (or still
/// stopped when the stream was reported), and for how long in all.
public struct HTTP2FlowStalls: Sendable, Equatable {
    public struct Side: Sendable, Equatable {
        public var stalls: UInt32
        public var nanoseconds: UInt64
    }

    public var request: Side?
    public var response: Side?

    func append(to json: inout JSONWriter) {
        json.object("flow_control") { object in
            for (name, side) in [("request", request), ("response", response)] {
                guard let side else { continue }
                object.object(name) {
                    $0.field("stalls", UInt64(side.stalls))
                    $0.field("stalled_ns", side.nanoseconds)
                }
            }
        }
    }
}

extension HTTP2Session {
    /// A DATA frame's whole payload (padding included, §6.9.1) leaves both
    /// windows of its sender; past the smaller one is a violation.
    func flowData(_ header: HTTP2FrameHeader, fromClient: Bool, at time: UInt64) {
        guard flow.known else { return }
        let length = Int64(header.length)
        let connection = flow.connection[fromClient]
        flow.connection[fromClient] = connection &- length
        guard let slot = streams.slot(header.stream) else {
            if length > connection { context.count(.http2) { $0.flowControlErrors &+= 1 } }
            return
        }
        let window = slot.pointee.windows.sides[fromClient].window
        slot.pointee.windows.sides[fromClient].window = window &- length
        if length > min(connection, window) {
            context.count(.http2) { $0.flowControlErrors &+= 1 }
            if !slot.pointee.windows.sides[fromClient].overrun {
                slot.pointee.windows.sides[fromClient].overrun = true
                slot.pointee.notes.append("DATA beyond the flow-control window \(fromClient ? "from the client" : "from the server")")
            }
        }
        if header.endStream {
            // Sent all it had: whatever the window says, it was not waiting.
            if slot.pointee.windows.sides[fromClient].blockedSince != nil {
                slot.pointee.windows.sides[fromClient].blockedSince = nil
                flow.blocked &-= 1
            }
        } else if min(flow.connection[fromClient], window &- length) <= 0,
                  slot.pointee.windows.sides[fromClient].blockedSince == nil {
            slot.pointee.windows.sides[fromClient].blockedSince = time
            flow.blocked &+= 1
        }
    }

    /// WINDOW_UPDATE sent by one side opens the other side's window: the
    /// connection's (stream 0) or one stream's. Past 2^31-1 is a violation
    /// (the window is kept at the maximum), as is an increment of 0.
    func flowWindowUpdate(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        guard flow.known, payload.count == 4 else { return }
        let sender = !fromClient
        let increment = Int64(Self.word(payload, 0) & 0x7FFF_FFFF)
        if increment == 0 { context.count(.http2) { $0.flowControlErrors &+= 1 } }
        if header.stream == 0 {
            flow.connection[sender] = opened(flow.connection[sender], by: increment)
            if flow.blocked > 0 { streams.forEach { unblock($0, sender: sender, at: time) } }
        } else if let slot = streams.slot(header.stream) {
            slot.pointee.windows.sides[sender].window = opened(slot.pointee.windows.sides[sender].window, by: increment)
            unblock(slot, sender: sender, at: time)
        }
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE from one side: the other side's new
    /// streams start there, and its open streams move by the change (§6.9.2,
    /// a window may go negative).
    func flowInitialWindow(_ value: Int64, fromClient: Bool, at time: UInt64) {
        guard flow.known else { return }
        guard value <= HTTP2FlowControl.maxWindow else {
            context.count(.http2) { $0.flowControlErrors &+= 1 }
            return
        }
        let sender = !fromClient
        let change = value &- flow.initialStream[sender]
        flow.initialStream[sender] = value
        guard change != 0 else { return }
        streams.forEach { slot in
            slot.pointee.windows.sides[sender].window = opened(slot.pointee.windows.sides[sender].window, by: change)
            unblock(slot, sender: sender, at: time)
        }
    }

    /// The windows are unknown from here on (a gap, a lost frame position).
    func flowLost() {
        guard flow.known else { return }
        flow.known = false
        streams.forEach { slot in
            slot.pointee.windows.sides.client.blockedSince = nil
            slot.pointee.windows.sides.server.blockedSince = nil
        }
        flow.blocked = 0
    }

    /// The stalls of a stream being reported; a sender still waiting at
    /// that moment counts as a stall too.
    func flowReport(_ windows: HTTP2StreamWindows, at time: UInt64) -> HTTP2FlowStalls? {
        guard flow.blocked > 0 || windows.sides.client.stalls > 0 || windows.sides.server.stalls > 0 else { return nil }
        var windows = windows
        settle(&windows.sides.client, at: time)
        settle(&windows.sides.server, at: time)
        return windows.report
    }

    private func settle(_ side: inout HTTP2StreamWindows.Side, at time: UInt64) {
        guard let since = side.blockedSince else { return }
        side.blockedSince = nil
        side.stalls &+= 1
        side.stalledNanoseconds &+= time >= since ? time &- since : 0
        flow.blocked &-= 1
    }

    private func opened(_ window: Int64, by increment: Int64) -> Int64 {
        let sum = window &+ increment
        guard sum <= HTTP2FlowControl.maxWindow else {
            context.count(.http2) { $0.flowControlErrors &+= 1 }
            return HTTP2FlowControl.maxWindow
        }
        return sum
    }

    /// The sender of a blocked stream may send again: one stall, its length.
    private func unblock(_ slot: HTTP2StreamTable.Slot, sender: Bool, at time: UInt64) {
        guard let since = slot.pointee.windows.sides[sender].blockedSince,
              min(flow.connection[sender], slot.pointee.windows.sides[sender].window) > 0 else { return }
        slot.pointee.windows.sides[sender].blockedSince = nil
        slot.pointee.windows.sides[sender].stalls &+= 1
        slot.pointee.windows.sides[sender].stalledNanoseconds &+= time >= since ? time &- since : 0
        flow.blocked &-= 1
    }
}
