/// Per-direction sequencing: what to deliver now, what to buffer, what to
/// drop, and when to give up on a hole. `direction` below is an index into
/// `directions` (`slot * 2 + FlowDirection.rawValue`).
extension TCPStreamReassembler {
    /// One segment's SYN, data and FIN, in sequence-space order.
    mutating func receiveSegment<Sink: StreamSink>(_ direction: Int, flags: TCPFlags, sequence: UInt32,
                                                   payload: UnsafeRawBufferPointer, timestamp: UInt64,
                                                   sink: inout Sink) {
        var sequence = sequence
        if flags.contains(.syn) {
            if !directions[direction].synSeen {  // first SYN, or a late one (see `startsNewConnection`)
                if !directions[direction].started { directions[direction].start(at: sequence &+ 1) }
                directions[direction].synSeen = true
                directions[direction].initialSequence = sequence
                if connections[direction >> 1].client == nil {
                    let sender = side(direction)
                    connections[direction >> 1].client = flags.contains(.ack) ? sender.reversed : sender
                }
            }
            sequence &+= 1  // the SYN's own sequence number; data (TCP Fast Open) follows it
        } else if !directions[direction].started {
            directions[direction].start(at: sequence)  // mid-stream: trust the first number seen
        }
        if !payload.isEmpty {
            receive(direction, sequence: sequence, payload: payload, timestamp: timestamp, sink: &sink)
        }
        if flags.contains(.fin) {
            recordFIN(direction, at: sequence &+ UInt32(truncatingIfNeeded: payload.count), timestamp: timestamp,
                      sink: &sink)
        }
    }

    /// Payload of `payload.count` bytes starting at `sequence`.
    private mutating func receive<Sink: StreamSink>(_ direction: Int, sequence: UInt32,
                                                    payload: UnsafeRawBufferPointer, timestamp: UInt64,
                                                    sink: inout Sink) {
        var payload = payload
        if directions[direction].finSeen {
            // Bytes at or past the FIN are not part of the stream.
            let room = Int(Int32(bitPattern: directions[direction].finSequence &- sequence))
            if room < payload.count {
                tally.outOfWindow &+= 1
                guard room > 0 else { return }
                payload = UnsafeRawBufferPointer(rebasing: payload[0..<room])
            }
        }
        // Each pass either finishes or gives up a hole / frees memory, so
        // the loop is bounded by the number of holes and buffered streams.
        while true {
            let start = directions[direction].distance(to: sequence)
            let end = start &+ payload.count
            if end <= 0 {
                tally.retransmitsDropped &+= 1
                return
            }
            if start <= 0 {
                if start < 0 { tally.overlapsTrimmed &+= 1 }
                deliverInOrder(direction, payload: payload, from: -start, timestamp: timestamp, sink: &sink)
                return
            }
            if start >= configuration.maxWindow {
                tally.outOfWindow &+= 1
                return
            }
            let fresh = pool.measure(start, end, in: directions[direction])
            if fresh.bytes == 0 {
                tally.retransmitsDropped &+= 1  // everything in it is buffered already
                return
            }
            if directions[direction].bufferedBytes &+ fresh.bytes > configuration.maxBufferedBytesPerDirection
                || directions[direction].bufferedSegments &+ fresh.pieces > configuration.maxBufferedSegmentsPerDirection
            {
                if directions[direction].head >= 0 {
                    skipFrontHole(direction, timestamp: timestamp, sink: &sink)
                } else {
                    reportGap(direction, length: start, timestamp: timestamp, sink: &sink)  // too big to hold
                }
                continue
            }
            if pool.bytes &+ fresh.bytes > configuration.maxBufferedBytes || pool.available < fresh.pieces {
                if let victim = waitingList.first {
                    evict(Int(victim), current: direction, timestamp: timestamp, sink: &sink)
                } else {
                    reportGap(direction, length: start, timestamp: timestamp, sink: &sink)  // bigger than the cap
                }
                continue
            }
            pool.insert(payload, at: start, into: &directions[direction], timestamp: timestamp)
            tally.outOfOrderSegments &+= 1
            if fresh.bytes < payload.count { tally.overlapsTrimmed &+= 1 }
            refreshWaiting(direction, timestamp: timestamp, progressed: false)
            return
        }
    }

    /// Delivers `payload[offset...]`, which starts exactly at `nextSequence`,
    /// then whatever buffered data became contiguous. Buffered bytes were
    /// there first, so where the payload overlaps them the buffered copy wins.
    private mutating func deliverInOrder<Sink: StreamSink>(_ direction: Int, payload: UnsafeRawBufferPointer,
                                                           from offset: Int, timestamp: UInt64, sink: inout Sink) {
        let base = directions[direction].nextSequence
        var overlapped = false
        while true {
            let position = offset &+ Int(directions[direction].nextSequence &- base)
            var end = payload.count
            let head = directions[direction].head
            if head >= 0 {
                let headStart = directions[direction].distance(to: pool.segments[Int(head)].sequence)
                if headStart <= 0 {
                    if position < payload.count && !overlapped {
                        overlapped = true
                        tally.overlapsTrimmed &+= 1
                    }
                    deliverHead(direction, filled: true, sink: &sink)
                    continue
                }
                end = min(end, position &+ headStart)
            }
            guard position < end else { break }
            emit(UnsafeRawBufferPointer(rebasing: payload[position..<end]), direction: direction,
                 timestamp: timestamp, sink: &sink)
        }
        refreshWaiting(direction, timestamp: timestamp, progressed: true)
    }

    /// Gives up on the first hole: reports it as a gap, then delivers what
    /// was buffered right behind it.
    mutating func skipFrontHole<Sink: StreamSink>(_ direction: Int, timestamp: UInt64, sink: inout Sink) {
        let state = directions[direction]
        let holeEnd: UInt32
        if state.head >= 0 {
            holeEnd = pool.segments[Int(state.head)].sequence
        } else if state.finSeen && !state.finished {
            holeEnd = state.finSequence
        } else {
            refreshWaiting(direction, timestamp: timestamp, progressed: false)
            return
        }
        let length = state.distance(to: holeEnd)
        if length > 0 { reportGap(direction, length: length, timestamp: timestamp, sink: &sink) }
        while directions[direction].head >= 0,
              directions[direction].distance(to: pool.segments[Int(directions[direction].head)].sequence) <= 0 {
            deliverHead(direction, filled: false, sink: &sink)
        }
        refreshWaiting(direction, timestamp: timestamp, progressed: true)
    }

    /// Gives up on every hole of `direction` (connection closing or evicted).
    mutating func flushHoles<Sink: StreamSink>(_ direction: Int, timestamp: UInt64, sink: inout Sink) {
        while directions[direction].hasHole {
            skipFrontHole(direction, timestamp: timestamp, sink: &sink)
        }
    }

    /// Global memory pressure: flushes the direction waiting the longest.
    /// A victim in another connection whose both sides are now past their
    /// FIN closes here; the current connection is checked by `process`.
    private mutating func evict<Sink: StreamSink>(_ victim: Int, current: Int, timestamp: UInt64,
                                                  sink: inout Sink) {
        tally.evictedStreams &+= 1
        tally.evictedSegments &+= UInt64(directions[victim].bufferedSegments)
        tally.evictedBytes &+= UInt64(directions[victim].bufferedBytes)
        flushHoles(victim, timestamp: timestamp, sink: &sink)
        if victim >> 1 != current >> 1 { closeIfFinished(victim >> 1, now: timestamp, sink: &sink) }
    }

    private mutating func recordFIN<Sink: StreamSink>(_ direction: Int, at sequence: UInt32, timestamp: UInt64,
                                                      sink: inout Sink) {
        let state = directions[direction]
        let position = state.distance(to: sequence)
        guard !state.finSeen, !state.finished, position >= 0 else { return }
        if position >= configuration.maxWindow {
            tally.outOfWindow &+= 1
            return
        }
        // Data buffered beyond this FIN arrived first and contradicts it: keep the data.
        if let end = pool.bufferedEnd(of: state), Int32(bitPattern: end &- sequence) > 0 {
            tally.outOfWindow &+= 1
            return
        }
        directions[direction].finSeen = true
        directions[direction].finSequence = sequence
        refreshWaiting(direction, timestamp: timestamp, progressed: false)
    }

    /// Hands the first buffered segment to the sink (skipping any part at or
    /// before `nextSequence`) and frees it.
    private mutating func deliverHead<Sink: StreamSink>(_ direction: Int, filled: Bool, sink: inout Sink) {
        let segment = pool.popHead(of: &directions[direction])
        let skip = -directions[direction].distance(to: segment.sequence)
        if filled { tally.reorderedThenFilled &+= 1 }
        guard skip < segment.bytes.count else { return }
        segment.bytes.withUnsafeBytes { bytes in
            emit(UnsafeRawBufferPointer(rebasing: bytes[max(0, skip)...]), direction: direction,
                 timestamp: segment.timestamp, sink: &sink)
        }
    }

    /// After `nextSequence` moved or a FIN arrived: passes a reached FIN and
    /// keeps the waiting list (oldest hole first) in step. A hole that made
    /// progress waits anew from `timestamp`.
    private mutating func refreshWaiting(_ direction: Int, timestamp: UInt64, progressed: Bool) {
        let state = directions[direction]
        if state.finSeen && !state.finished && state.distance(to: state.finSequence) <= 0 {
            directions[direction].finished = true
            if state.nextSequence == state.finSequence {
                directions[direction].nextSequence &+= 1  // the FIN's own sequence number
            }
        }
        if directions[direction].hasHole {
            if !state.waiting {
                directions[direction].waiting = true
                directions[direction].holeSince = timestamp
                waitingList.append(Int32(direction), links: &directionLinks)
            } else if progressed {
                directions[direction].holeSince = timestamp
                waitingList.moveToBack(Int32(direction), links: &directionLinks)
            }
        } else if state.waiting {
            directions[direction].waiting = false
            waitingList.remove(Int32(direction), links: &directionLinks)
        }
    }

    private mutating func reportGap<Sink: StreamSink>(_ direction: Int, length: Int, timestamp: UInt64,
                                                      sink: inout Sink) {
        directions[direction].nextSequence &+= UInt32(truncatingIfNeeded: length)
        tally.gaps &+= 1
        tally.gapBytes &+= UInt64(length)
        sink.gap(length: length, stream: stream(direction >> 1), direction: side(direction), timestamp: timestamp)
    }

    private mutating func emit<Sink: StreamSink>(_ bytes: UnsafeRawBufferPointer, direction: Int,
                                                 timestamp: UInt64, sink: inout Sink) {
        directions[direction].nextSequence &+= UInt32(truncatingIfNeeded: bytes.count)
        tally.deliveredBytes &+= UInt64(bytes.count)
        tally.deliveries &+= 1
        sink.deliver(bytes, stream: stream(direction >> 1), direction: side(direction), timestamp: timestamp)
    }

    func side(_ direction: Int) -> FlowDirection {
        direction & 1 == 0 ? .fromLow : .fromHigh
    }
}
