import ScopeDecode

/// HTTP/2 on one TCP connection (prior knowledge): a frame reader and an
/// HPACK decoder per side, one transaction per stream, many at once. A
/// stream is reported when both sides ended it (END_STREAM), when it is
/// reset (RST_STREAM: an Error), when the connection ends, or when more
/// than `maxPendingPerConnection` streams are open (the oldest is evicted
/// and counted). A capture that begins mid-connection, or a gap outside a
/// frame payload, loses the frame position (found again on a plausible
/// frame header, the bytes skipped counted) and HPACK's history: fields
/// that refer to unknown table entries are counted as parse errors per
/// header block, and the streams are still paired by their ids.
final class HTTP2Session: StreamAnalyzer {
    let endpoints: TransactionEndpoints
    let context: AnalyzerContext
    // Unchecked exclusivity: see AnalyzerContext.
    @exclusivity(unchecked) var readers: (client: HTTP2FrameReader, server: HTTP2FrameReader)
    /// `request` decodes what the client sends; `response` what the server sends.
    @exclusivity(unchecked) var decoders: (request: HPACKDecoder, response: HPACKDecoder)
    @exclusivity(unchecked) var blocks = DirectionPair { _ in HeaderBlock() }
    /// Changed in place through their slots (`HTTP2StreamTable`).
    let streams = HTTP2StreamTable()
    /// Stream ids in the order they opened (some finished since), for
    /// evicting the oldest open one without a scan.
    @exclusivity(unchecked) var openOrder: [UInt32] = []
    @exclusivity(unchecked) var openOrderHead = 0
    /// Ids of the client's streams: the first and the highest seen.
    @exclusivity(unchecked) var clientStreams: (first: UInt32, highest: UInt32) = (0, 0)
    @exclusivity(unchecked) var goaway: (lastStream: UInt32, code: UInt32)?
    @exclusivity(unchecked) var skippedSoFar: UInt64 = 0
    @exclusivity(unchecked) var flow = HTTP2FlowControl()
    let recentValues = HTTP2RecentValues()
    let maxStreams: Int
    let blockLimit: Int

    /// A header block being put together from HEADERS/PUSH_PROMISE and
    /// CONTINUATION frames (only when it spans frames).
    struct HeaderBlock {
        var bytes: [UInt8] = []
        var stream: UInt32 = 0
        var promised: UInt32 = 0
        var endStream = false
        var active = false
        var overflow = false
    }

    init(endpoints: TransactionEndpoints, context: AnalyzerContext) {
        self.endpoints = endpoints
        self.context = context
        let configuration = context.configuration
        blockLimit = configuration.maxHeaderBytes
        // Control frames are small; HEADERS up to the header limit. DATA is never buffered.
        let payloadLimit = max(16_384, configuration.maxHeaderBytes)
        readers = (HTTP2FrameReader(expectsPreface: true, payloadLimit: payloadLimit),
                   HTTP2FrameReader(expectsPreface: false, payloadLimit: payloadLimit))
        let tableMemory = min(configuration.maxHeaderBytes, 64 << 10)
        decoders = (HPACKDecoder(memoryLimit: tableMemory), HPACKDecoder(memoryLimit: tableMemory))
        maxStreams = configuration.maxPendingPerConnection
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, fromClient: Bool, timestamp: UInt64) {
        if fromClient {
            readers.client.deliver(bytes) { handle($0, fromClient: true, at: timestamp) }
        } else {
            readers.server.deliver(bytes) { handle($0, fromClient: false, at: timestamp) }
        }
        collectSkipped()
    }

    /// Upgraded from HTTP/1.1 (`HTTPUpgrade`, RFC 7540 §3.2): the request
    /// that asked for h2c is stream 1, complete on the client's side, and
    /// its response comes as HTTP/2 on that stream. The 101 counts as part
    /// of the response's bytes. The client's next streams are 3, 5, ...
    func adopt(_ seed: Any) {
        guard let upgrade = seed as? HTTPUpgrade, streams.isEmpty else { return }
        // Stream 1 opens as any client stream does (no SETTINGS yet: the
        // initial windows are the protocol's), already half-closed.
        open(1, at: upgrade.request.start, fromClient: true)
        guard let slot = streams.slot(1) else { return }
        slot.pointee.request = upgrade.request
        slot.pointee.requestSeen = true
        slot.pointee.clientEnded = true
        slot.pointee.response.bytes = upgrade.response.bytes
        slot.pointee.notes.append("upgraded from HTTP/\(upgrade.request.version) (101 Switching Protocols to h2c)")
        clientStreams = (1, 1)
        context.count(.http2) { $0.requests &+= 1 }
    }

    func gap(length: Int, fromClient: Bool, timestamp: UInt64) {
        context.countGap(.http2, length: length)
        let reader = fromClient ? readers.client : readers.server
        let frame = reader.currentFrame, inData = reader.inPayload && frame.type == HTTP2FrameType.data
        let kept = fromClient ? readers.client.gap(length: length) : readers.server.gap(length: length)
        let note = "gap of \(length) bytes \(fromClient ? "from the client" : "from the server")"
        if kept && inData {
            // Only this stream's data was cut: its byte count and message framing.
            context.count(.http2) { $0.gapsAbsorbed &+= 1 }
            loseFraming(frame.stream, fromClient: fromClient, note: note)
            return
        }
        // A header block may have been in it: HPACK's history is unknown from here, and the windows.
        lose(fromClient: fromClient)
        flowLost()
        for id in streams.ids { loseFraming(id, fromClient: fromClient, note: note) }
    }

    func loseFraming(_ id: UInt32, fromClient: Bool, note: String) {
        guard let slot = streams.slot(id) else { return }
        if fromClient {
            slot.pointee.grpc?.requestMessages.loseFraming()
        } else {
            slot.pointee.grpc?.responseMessages.loseFraming()
        }
        slot.pointee.notes.append(note)
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        for id in streams.ids.sorted() {
            streams.remove(id) { slot in
                var note = "stream open at \(reason.phrase)"
                if let goaway, id > goaway.lastStream, !slot.pointee.responseSeen { note = "not processed (GOAWAY after stream \(goaway.lastStream))" }
                report(slot, id: id, note: note, at: timestamp)
            }
        }
        collectSkipped()
    }

    /// Streams do not time out while their connection is open (as HTTP/1
    /// requests): the stream cap bounds them and the close reports the rest.
    func expire(now: UInt64) {}

    /// HPACK history of one side is unknown from here on.
    func lose(fromClient: Bool) {
        if fromClient { decoders.request.desynchronise() } else { decoders.response.desynchronise() }
        blocks[fromClient].active = false
        blocks[fromClient].bytes.removeAll(keepingCapacity: true)
    }

    func handle(_ output: HTTP2FrameReader.Output, fromClient: Bool, at time: UInt64) {
        switch output {
        case .frame(let header, let payload):
            frame(header, payload, fromClient: fromClient, at: time)
        case .data(let header, let chunk, let last):
            data(header, chunk, last: last, fromClient: fromClient, at: time)
        case .oversized(let header):
            context.count(.http2) { $0.oversized &+= 1 }
            count(header, fromClient: fromClient)
            if header.type == HTTP2FrameType.headers || header.type == HTTP2FrameType.continuation
                || header.type == HTTP2FrameType.pushPromise {
                lose(fromClient: fromClient)
                streams.slot(header.stream)?.pointee.notes.append("header block over \(blockLimit) bytes")
            }
        case .lostSync:
            lose(fromClient: fromClient)
            flowLost()
        }
    }

    /// Frame bytes (header included) on a stream count towards its side.
    func count(_ header: HTTP2FrameHeader, fromClient: Bool) {
        guard header.stream != 0, let slot = streams.slot(header.stream) else { return }
        count(header, at: slot, fromClient: fromClient)
    }

    /// `count` for a stream already looked up (each look-up hashes the id).
    func count(_ header: HTTP2FrameHeader, at slot: HTTP2StreamTable.Slot, fromClient: Bool) {
        let bytes = UInt64(HTTP2FrameHeader.size &+ header.length)
        if fromClient { slot.pointee.request.bytes &+= bytes } else { slot.pointee.response.bytes &+= bytes }
    }

    func frame(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        if blocks[fromClient].active && header.type != HTTP2FrameType.continuation {
            // RFC 9113 §6.10: nothing may come between a block's frames.
            context.count(.http2) { $0.parseErrors &+= 1 }
            lose(fromClient: fromClient)
        }
        switch header.type {
        case HTTP2FrameType.headers:
            headers(header, payload, fromClient: fromClient, at: time)
        case HTTP2FrameType.continuation:
            continuation(header, payload, fromClient: fromClient, at: time)
        case HTTP2FrameType.pushPromise:
            pushPromise(header, payload, fromClient: fromClient, at: time)
        case HTTP2FrameType.rstStream:
            guard payload.count == 4, let slot = streams.slot(header.stream) else { return }
            count(header, at: slot, fromClient: fromClient)
            slot.pointee.reset = (Self.word(payload, 0), fromClient)
            if fromClient { slot.pointee.request.end = time } else { slot.pointee.response.end = time }
            finishIfDone(at: slot, id: header.stream, at: time)
        case HTTP2FrameType.settings:
            guard header.flags & HTTP2Flag.ack == 0 else { return }
            settings(payload, fromClient: fromClient, at: time)
        case HTTP2FrameType.goaway:
            guard payload.count >= 8 else { return }
            goaway = (Self.word(payload, 0) & 0x7FFF_FFFF, Self.word(payload, 4))
        case HTTP2FrameType.windowUpdate:
            count(header, fromClient: fromClient)
            flowWindowUpdate(header, payload, fromClient: fromClient, at: time)
        default:
            count(header, fromClient: fromClient)  // PRIORITY, PING
        }
    }

    /// SETTINGS_HEADER_TABLE_SIZE bounds the sender's decoder, i.e. the
    /// other side's headers; SETTINGS_MAX_FRAME_SIZE the other side's frames;
    /// SETTINGS_INITIAL_WINDOW_SIZE the other side's stream windows.
    func settings(_ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        var offset = 0
        while offset &+ 6 <= payload.count {
            let id = UInt16(payload[offset]) << 8 | UInt16(payload[offset &+ 1])
            let value = Int(Self.word(payload, offset &+ 2))
            offset &+= 6
            switch id {
            case 1:
                if fromClient { decoders.response.settingsLimit = value } else { decoders.request.settingsLimit = value }
            case 4:
                flowInitialWindow(Int64(value), fromClient: fromClient, at: time)
            case 5 where value >= 16_384 && value <= HTTP2FrameHeader.maxLength:
                if fromClient { readers.server.maxFrameSize = value } else { readers.client.maxFrameSize = value }
            default:
                break
            }
        }
    }

    func open(_ id: UInt32, at time: UInt64, fromClient: Bool) {
        if streams.count >= maxStreams {
            while openOrderHead < openOrder.count {
                let oldest = openOrder[openOrderHead]
                openOrderHead &+= 1
                guard streams.remove(oldest, { report($0, id: oldest, note: "evicted: more than \(maxStreams) streams open", at: time) })
                else { continue }
                context.count(.http2) { $0.evictions &+= 1 }
                break
            }
        }
        if openOrder.count &- openOrderHead > 2 &* maxStreams || openOrderHead > maxStreams {
            // Finished streams' ids leave the order list here, in one pass per `maxStreams` openings.
            openOrder = openOrder[openOrderHead...].filter { streams.contains($0) }
            openOrderHead = 0
        }
        openOrder.append(id)
        streams.open(id, time: time, windows: HTTP2StreamWindows(initial: flow.initialStream), fromClient: fromClient)
    }

    func data(_ header: HTTP2FrameHeader, _ chunk: UnsafeRawBufferPointer, last: Bool, fromClient: Bool, at time: UInt64) {
        let id = header.stream
        if last { flowData(header, fromClient: fromClient, at: time) }
        guard let slot = streams.slot(id) else {
            if last { context.count(.http2) { $0.skippedBytes &+= UInt64(HTTP2FrameHeader.size &+ header.length) } }
            return
        }
        if fromClient {
            slot.pointee.request.bodyBytes &+= UInt64(chunk.count)
            slot.pointee.grpc?.requestMessages.consume(chunk)
        } else {
            slot.pointee.response.bodyBytes &+= UInt64(chunk.count)
            slot.pointee.grpc?.responseMessages.consume(chunk)
        }
        guard last else { return }
        count(header, at: slot, fromClient: fromClient)
        if fromClient { slot.pointee.request.end = time } else { slot.pointee.response.end = time }
        if header.endStream { endStream(at: slot, id: id, fromClient: fromClient, at: time) }
    }

    func endStream(_ id: UInt32, fromClient: Bool, at time: UInt64) {
        guard let slot = streams.slot(id) else { return }
        endStream(at: slot, id: id, fromClient: fromClient, at: time)
    }

    func endStream(at slot: HTTP2StreamTable.Slot, id: UInt32, fromClient: Bool, at time: UInt64) {
        if fromClient { slot.pointee.clientEnded = true } else { slot.pointee.serverEnded = true }
        finishIfDone(at: slot, id: id, at: time)
    }

    func finishIfDone(_ id: UInt32, at time: UInt64) {
        guard let slot = streams.slot(id) else { return }
        finishIfDone(at: slot, id: id, at: time)
    }

    func finishIfDone(at slot: HTTP2StreamTable.Slot, id: UInt32, at time: UInt64) {
        guard slot.pointee.finished else { return }
        streams.remove(id) { report($0, id: id, note: nil, at: time) }
    }

    /// Reports the stream in `slot`, taken out of the table, and leaves the
    /// slot uninitialised: its notes, messages and gRPC call are moved into
    /// the event (never copied, no empty ones left to destroy), a message
    /// not seen is destroyed, and the rest is plain values.
    func report(_ slot: HTTP2StreamTable.Slot, id: UInt32, note: String?, at time: UInt64) {
        let reset = slot.pointee.reset, pushed = slot.pointee.pushed, windows = slot.pointee.windows
        let requestSeen = slot.pointee.requestSeen, responseSeen = slot.pointee.responseSeen
        let ended = (slot.pointee.clientEnded || reset != nil) && (slot.pointee.serverEnded || reset != nil)
        var notes = HTTP2Stream.field(\.notes, in: slot).move()
        let grpc = HTTP2Stream.field(\.grpc, in: slot).move()
        let request = HTTP2Stream.field(\.request, in: slot), response = HTTP2Stream.field(\.response, in: slot)
        if let note { notes.append(note) }
        if let reset {
            notes.append("stream reset by the \(reset.byClient ? "client" : "server"): \(HTTP2Names.errorCode(reset.code))")
            // A client gives up a gRPC call at its deadline with RST_STREAM CANCEL, before any status.
            if reset.byClient, reset.code == 8, grpc?.statusCode == nil, let text = grpc?.timeout,
               let timeout = GRPCNames.timeout(text), request.pointee.end &- request.pointee.start >= timeout {
                notes.append("deadline exceeded (grpc-timeout \(text))")
            }
        }
        context.count(.http2) {
            if requestSeen && responseSeen { $0.matched &+= 1 }
            if requestSeen && !responseSeen { $0.unmatchedRequests &+= 1 }
            if !requestSeen && responseSeen { $0.unmatchedResponses &+= 1 }
        }
        if !requestSeen && responseSeen { notes.append("request headers not seen") }
        if requestSeen && !responseSeen && reset == nil && note == nil { notes.append("no response") }
        var failed = !requestSeen || !responseSeen || (responseSeen && response.pointee.statusCode >= 400)
        if let reset, reset.code != 0 || !responseSeen { failed = true }
        if let code = grpc?.statusCode, code != 0 { failed = true }
        if grpc != nil && grpc?.statusCode == nil { failed = true }
        let start = requestSeen ? request.pointee.start : responseSeen ? response.pointee.start : time
        let end = max(requestSeen ? request.pointee.end : start, responseSeen ? response.pointee.end : start, start)
        if !ended && note == nil { notes.append("stream not ended") }
        let requestBytes = requestSeen ? request.pointee.bytes : 0, responseBytes = responseSeen ? response.pointee.bytes : 0
        if !requestSeen { request.deinitialize(count: 1) }
        if !responseSeen { response.deinitialize(count: 1) }
        let http = HTTPTransaction(movingRequest: requestSeen ? request : nil, response: responseSeen ? response : nil)
        let detail = HTTP2Transaction(http: http, streamID: id, reset: reset, pushed: pushed, grpc: grpc,
                                      flowStalls: flowReport(windows, at: time))
        context.emit(TransactionEvent(
            application: .http2, endpoints: endpoints, start: start, end: end, requestBytes: requestBytes,
            responseBytes: responseBytes, status: failed ? .error : .ok, notes: notes, details: detail))
    }

    func collectSkipped() {
        let total = readers.client.skippedBytes &+ readers.server.skippedBytes
        if total != skippedSoFar {
            let added = total &- skippedSoFar
            skippedSoFar = total
            context.count(.http2) { $0.skippedBytes &+= added }
        }
    }

    static func word(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset &+ 1]) << 16 | UInt32(bytes[offset &+ 2]) << 8 | UInt32(bytes[offset &+ 3])
    }
}
