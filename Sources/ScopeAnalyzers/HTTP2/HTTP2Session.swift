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
    @exclusivity(unchecked) private var readers: (client: HTTP2FrameReader, server: HTTP2FrameReader)
    /// `request` decodes what the client sends; `response` what the server sends.
    @exclusivity(unchecked) private var decoders: (request: HPACKDecoder, response: HPACKDecoder)
    @exclusivity(unchecked) private var blocks = DirectionPair { _ in HeaderBlock() }
    @exclusivity(unchecked) private var streams: [UInt32: HTTP2Stream] = [:]
    /// Stream ids in the order they opened (some finished since), for
    /// evicting the oldest open one without a scan.
    @exclusivity(unchecked) private var openOrder: [UInt32] = []
    @exclusivity(unchecked) private var openOrderHead = 0
    /// Ids of the client's streams: the first and the highest seen.
    @exclusivity(unchecked) private var clientStreams: (first: UInt32, highest: UInt32) = (0, 0)
    @exclusivity(unchecked) private var goaway: (lastStream: UInt32, code: UInt32)?
    @exclusivity(unchecked) private var skippedSoFar: UInt64 = 0
    private let maxStreams: Int
    private let blockLimit: Int

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
        // A header block may have been in it: HPACK's history is unknown from here.
        lose(fromClient: fromClient)
        for id in streams.keys { loseFraming(id, fromClient: fromClient, note: note) }
    }

    private func loseFraming(_ id: UInt32, fromClient: Bool, note: String) {
        guard streams[id] != nil else { return }
        if fromClient { streams[id]!.grpc?.requestMessages.loseFraming() } else { streams[id]!.grpc?.responseMessages.loseFraming() }
        streams[id]!.notes.append(note)
    }

    func close(reason: StreamCloseReason, timestamp: UInt64) {
        for id in streams.keys.sorted() {
            guard let stream = streams.removeValue(forKey: id) else { continue }
            var note = "stream open at \(reason.phrase)"
            if let goaway, id > goaway.lastStream, !stream.responseSeen { note = "not processed (GOAWAY after stream \(goaway.lastStream))" }
            report(stream, id: id, note: note, at: timestamp)
        }
        collectSkipped()
    }

    /// Streams do not time out while their connection is open (as HTTP/1
    /// requests): the stream cap bounds them and the close reports the rest.
    func expire(now: UInt64) {}

    /// HPACK history of one side is unknown from here on.
    private func lose(fromClient: Bool) {
        if fromClient { decoders.request.desynchronise() } else { decoders.response.desynchronise() }
        blocks[fromClient].active = false
        blocks[fromClient].bytes.removeAll(keepingCapacity: true)
    }

    private func handle(_ output: HTTP2FrameReader.Output, fromClient: Bool, at time: UInt64) {
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
                streams[header.stream]?.notes.append("header block over \(blockLimit) bytes")
            }
        case .lostSync:
            lose(fromClient: fromClient)
        }
    }

    /// Frame bytes (header included) on a stream count towards its side.
    private func count(_ header: HTTP2FrameHeader, fromClient: Bool) {
        guard header.stream != 0, streams[header.stream] != nil else { return }
        let bytes = UInt64(HTTP2FrameHeader.size &+ header.length)
        if fromClient { streams[header.stream]!.request.bytes &+= bytes } else { streams[header.stream]!.response.bytes &+= bytes }
    }

    private func frame(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
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
            guard payload.count == 4, streams[header.stream] != nil else { return }
            count(header, fromClient: fromClient)
            streams[header.stream]!.reset = (Self.word(payload, 0), fromClient)
            if fromClient { streams[header.stream]!.request.end = time } else { streams[header.stream]!.response.end = time }
            finishIfDone(header.stream, at: time)
        case HTTP2FrameType.settings:
            guard header.flags & HTTP2Flag.ack == 0 else { return }
            settings(payload, fromClient: fromClient)
        case HTTP2FrameType.goaway:
            guard payload.count >= 8 else { return }
            goaway = (Self.word(payload, 0) & 0x7FFF_FFFF, Self.word(payload, 4))
        default:
            count(header, fromClient: fromClient)  // PRIORITY, WINDOW_UPDATE on a stream; PING
        }
    }

    /// SETTINGS_HEADER_TABLE_SIZE bounds the sender's decoder, i.e. the
    /// other side's headers; SETTINGS_MAX_FRAME_SIZE the other side's frames.
    private func settings(_ payload: UnsafeRawBufferPointer, fromClient: Bool) {
        var offset = 0
        while offset &+ 6 <= payload.count {
            let id = UInt16(payload[offset]) << 8 | UInt16(payload[offset &+ 1])
            let value = Int(Self.word(payload, offset &+ 2))
            offset &+= 6
            switch id {
            case 1:
                if fromClient { decoders.response.settingsLimit = value } else { decoders.request.settingsLimit = value }
            case 5 where value >= 16_384 && value <= HTTP2FrameHeader.maxLength:
                if fromClient { readers.server.maxFrameSize = value } else { readers.client.maxFrameSize = value }
            default:
                break
            }
        }
    }

    /// The block fragment of HEADERS or PUSH_PROMISE: padding and priority
    /// (or the promised stream id) taken off.
    private static func fragment(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, skip: Int)
        -> UnsafeRawBufferPointer? {
        var start = 0, end = payload.count
        if header.padded {
            guard end >= 1 else { return nil }
            end &-= Int(payload[0])
            start = 1
        }
        start &+= skip
        guard start <= end else { return nil }
        return UnsafeRawBufferPointer(rebasing: payload[start..<end])
    }

    private func headers(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        let id = header.stream
        if streams[id] == nil {
            guard id != 0, opens(id, fromClient: fromClient) else {
                // A closed stream's late HEADERS: decoded (the table must stay in step), not a new stream.
                return unknownHeaders(header, payload, fromClient: fromClient)
            }
            open(id, at: time, fromClient: fromClient)
        }
        count(header, fromClient: fromClient)
        guard let fragment = Self.fragment(header, payload, skip: header.flags & HTTP2Flag.priority != 0 ? 5 : 0) else {
            context.count(.http2) { $0.parseErrors &+= 1 }
            return lose(fromClient: fromClient)
        }
        if header.endHeaders {
            decodeBlock(fragment, stream: id, endStream: header.endStream, fromClient: fromClient, at: time)
        } else {
            startBlock(fragment, stream: id, promised: 0, endStream: header.endStream, fromClient: fromClient)
        }
    }

    /// Whether HEADERS on a stream not open here opens one: always from the
    /// client; from the server only for a stream the capture did not see
    /// open (below the first client stream seen, or above the highest).
    private func opens(_ id: UInt32, fromClient: Bool) -> Bool {
        if fromClient {
            if clientStreams.first == 0 { clientStreams.first = id }
            clientStreams.highest = max(clientStreams.highest, id)
            return true
        }
        return clientStreams.first == 0 || id < clientStreams.first || id > clientStreams.highest
    }

    private func unknownHeaders(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool) {
        context.count(.http2) { $0.skippedBytes &+= UInt64(HTTP2FrameHeader.size &+ header.length) }
        guard let fragment = Self.fragment(header, payload, skip: header.flags & HTTP2Flag.priority != 0 ? 5 : 0) else { return }
        if header.endHeaders {
            decodeBlock(fragment, stream: header.stream, endStream: false, fromClient: fromClient, at: 0)
        } else {
            startBlock(fragment, stream: header.stream, promised: 0, endStream: false, fromClient: fromClient)
        }
    }

    private func pushPromise(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        count(header, fromClient: fromClient)
        guard !fromClient, let fragment = Self.fragment(header, payload, skip: 4), fragment.count >= 0 else {
            context.count(.http2) { $0.parseErrors &+= 1 }
            return lose(fromClient: fromClient)
        }
        let start = header.padded ? 1 : 0
        guard payload.count >= start &+ 4 else { return }
        let promised = Self.word(payload, start) & 0x7FFF_FFFF
        open(promised, at: time, fromClient: true)
        streams[promised]?.pushed = true
        streams[promised]?.clientEnded = true
        if header.endHeaders {
            decodeBlock(fragment, stream: promised, endStream: false, fromClient: false, promise: true, at: time)
        } else {
            startBlock(fragment, stream: header.stream, promised: promised, endStream: false, fromClient: false)
        }
    }

    private func startBlock(_ fragment: UnsafeRawBufferPointer, stream: UInt32, promised: UInt32, endStream: Bool, fromClient: Bool) {
        var block = blocks[fromClient]
        block.bytes.removeAll(keepingCapacity: true)
        block.bytes.append(contentsOf: fragment)
        (block.stream, block.promised, block.endStream, block.active, block.overflow) = (stream, promised, endStream, true, false)
        blocks[fromClient] = block
    }

    private func continuation(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        count(header, fromClient: fromClient)
        guard blocks[fromClient].active, blocks[fromClient].stream == header.stream else {
            // A CONTINUATION without its HEADERS (lost, or before the capture).
            context.count(.http2) { $0.parseErrors &+= 1 }
            return lose(fromClient: fromClient)
        }
        append(payload, to: &blocks[fromClient])
        guard header.endHeaders else { return }
        var block = HeaderBlock()
        swap(&block, &blocks[fromClient])
        defer {
            // The buffer is reused, unless a rare large block grew it.
            block.bytes.removeAll(keepingCapacity: block.bytes.capacity <= 16_384)
            blocks[fromClient].bytes = block.bytes
        }
        if block.overflow {
            // Never decoded, so the table misses what it added (endless CONTINUATION ends here).
            context.count(.http2) { $0.oversized &+= 1 }
            let id = block.promised != 0 ? block.promised : block.stream
            streams[id]?.notes.append("header block over \(blockLimit) bytes")
            lose(fromClient: fromClient)
            if block.endStream { endStream(id, fromClient: fromClient, at: time) }
            return
        }
        block.bytes.withUnsafeBytes {
            decodeBlock($0, stream: block.promised != 0 ? block.promised : block.stream, endStream: block.endStream,
                        fromClient: fromClient, promise: block.promised != 0, at: time)
        }
    }

    private func append(_ payload: UnsafeRawBufferPointer, to block: inout HeaderBlock) {
        guard !block.overflow else { return }
        if block.bytes.count &+ payload.count > blockLimit {
            block.overflow = true
            block.bytes.removeAll(keepingCapacity: false)
            return
        }
        block.bytes.append(contentsOf: payload)
    }

    private func open(_ id: UInt32, at time: UInt64, fromClient: Bool) {
        if streams.count >= maxStreams {
            while openOrderHead < openOrder.count {
                let oldest = openOrder[openOrderHead]
                openOrderHead &+= 1
                guard let stream = streams.removeValue(forKey: oldest) else { continue }
                context.count(.http2) { $0.evictions &+= 1 }
                report(stream, id: oldest, note: "evicted: more than \(maxStreams) streams open", at: time)
                break
            }
        }
        if openOrder.count &- openOrderHead > 2 &* maxStreams || openOrderHead > maxStreams {
            // Finished streams' ids leave the order list here, in one pass per `maxStreams` openings.
            openOrder = openOrder[openOrderHead...].filter { streams[$0] != nil }
            openOrderHead = 0
        }
        openOrder.append(id)
        var stream = HTTP2Stream(time: time)
        if !fromClient { stream.response.start = time }
        streams[id] = stream
    }

    /// A whole header block: request headers, response headers (interim
    /// 1xx ones dropped) or either side's trailers.
    private func decodeBlock(_ block: UnsafeRawBufferPointer, stream id: UInt32, endStream: Bool, fromClient: Bool,
                             promise: Bool = false, at time: UInt64) {
        guard var stream = streams[id] else {
            // Decoded all the same: the table must stay in step.
            if fromClient { decoders.request.decode(block) { _, _ in } } else { decoders.response.decode(block) { _, _ in } }
            return
        }
        streams[id] = nil  // edited as a local copy, no copy-on-write of its strings
        let asRequest = fromClient || promise
        let trailer = asRequest ? stream.requestSeen : stream.responseSeen
        var fields = HTTP2Fields(configuration: context.configuration, trailer: trailer, request: asRequest)
        let lostBefore = fromClient ? decoders.request.lostFields : decoders.response.lostFields
        let ok = fromClient ? decoders.request.decode(block) { fields.add($0, $1, to: &stream) }
                            : decoders.response.decode(block) { fields.add($0, $1, to: &stream) }
        let lost = (fromClient ? decoders.request.lostFields : decoders.response.lostFields) &- lostBefore
        if !ok || lost > 0 || fields.overflow {
            context.count(.http2) { ok && !fields.overflow ? ($0.parseErrors &+= 1) : fields.overflow ? ($0.oversized &+= 1) : ($0.parseErrors &+= 1) }
            stream.notes.append(!ok ? "header block not decoded (HPACK)"
                                : fields.overflow ? "header list over \(context.configuration.maxHeaderBytes) bytes"
                                : "\(lost) header fields refer to HPACK entries sent before the capture")
        }
        if asRequest && !stream.requestSeen {
            stream.requestSeen = true
            context.count(.http2) { $0.requests &+= 1 }
        } else if !asRequest && !stream.responseSeen {
            if fields.interim {
                context.count(.http2) { $0.interimResponses &+= 1 }
                streams[id] = stream
                return
            }
            stream.responseSeen = true
            stream.response.start = time
            context.count(.http2) { $0.responses &+= 1 }
        }
        if asRequest { stream.request.end = time } else { stream.response.end = time }
        streams[id] = stream
        if endStream { self.endStream(id, fromClient: fromClient, at: time) }
    }

    private func data(_ header: HTTP2FrameHeader, _ chunk: UnsafeRawBufferPointer, last: Bool, fromClient: Bool, at time: UInt64) {
        let id = header.stream
        guard streams[id] != nil else {
            if last { context.count(.http2) { $0.skippedBytes &+= UInt64(HTTP2FrameHeader.size &+ header.length) } }
            return
        }
        if fromClient {
            streams[id]!.request.bodyBytes &+= UInt64(chunk.count)
            streams[id]!.grpc?.requestMessages.consume(chunk)
        } else {
            streams[id]!.response.bodyBytes &+= UInt64(chunk.count)
            streams[id]!.grpc?.responseMessages.consume(chunk)
        }
        guard last else { return }
        count(header, fromClient: fromClient)
        if fromClient { streams[id]!.request.end = time } else { streams[id]!.response.end = time }
        if header.endStream { endStream(id, fromClient: fromClient, at: time) }
    }

    private func endStream(_ id: UInt32, fromClient: Bool, at time: UInt64) {
        guard streams[id] != nil else { return }
        if fromClient { streams[id]!.clientEnded = true } else { streams[id]!.serverEnded = true }
        finishIfDone(id, at: time)
    }

    private func finishIfDone(_ id: UInt32, at time: UInt64) {
        guard let stream = streams[id], stream.finished else { return }
        streams[id] = nil
        report(stream, id: id, note: nil, at: time)
    }

    private func report(_ stream: consuming HTTP2Stream, id: UInt32, note: String?, at time: UInt64) {
        var notes = stream.notes
        if let note { notes.append(note) }
        if let reset = stream.reset {
            notes.append("stream reset by the \(reset.byClient ? "client" : "server"): \(HTTP2Names.errorCode(reset.code))")
            // A client gives up a gRPC call at its deadline with RST_STREAM CANCEL, before any status.
            if reset.byClient, reset.code == 8, stream.grpc?.statusCode == nil, let text = stream.grpc?.timeout,
               let timeout = GRPCNames.timeout(text), stream.request.end &- stream.request.start >= timeout {
                notes.append("deadline exceeded (grpc-timeout \(text))")
            }
        }
        let request = stream.requestSeen ? stream.request : nil
        let response = stream.responseSeen ? stream.response : nil
        context.count(.http2) {
            if request != nil && response != nil { $0.matched &+= 1 }
            if request != nil && response == nil { $0.unmatchedRequests &+= 1 }
            if request == nil && response != nil { $0.unmatchedResponses &+= 1 }
        }
        if request == nil && response != nil { notes.append("request headers not seen") }
        if request != nil && response == nil && stream.reset == nil && note == nil { notes.append("no response") }
        var failed = request == nil || response == nil || (response?.statusCode ?? 0) >= 400
        if let reset = stream.reset, reset.code != 0 || response == nil { failed = true }
        if let code = stream.grpc?.statusCode, code != 0 { failed = true }
        if stream.grpc != nil && stream.grpc?.statusCode == nil { failed = true }
        let start = request?.start ?? response?.start ?? time
        let end = max(request?.end ?? start, response?.end ?? start, start)
        if !(stream.clientEnded || stream.reset != nil) || !(stream.serverEnded || stream.reset != nil) {
            if note == nil { notes.append("stream not ended") }
        }
        let requestBytes = request?.bytes ?? 0, responseBytes = response?.bytes ?? 0
        var detail = HTTP2Transaction(http: HTTPTransaction(request: request, response: response), streamID: id)
        detail.reset = stream.reset
        detail.pushed = stream.pushed
        detail.grpc = stream.grpc
        context.emit(TransactionEvent(
            application: .http2, endpoints: endpoints, start: start, end: end, requestBytes: requestBytes,
            responseBytes: responseBytes, status: failed ? .error : .ok, notes: notes, details: detail))
    }

    private func collectSkipped() {
        let total = readers.client.skippedBytes &+ readers.server.skippedBytes
        if total != skippedSoFar {
            let added = total &- skippedSoFar
            skippedSoFar = total
            context.count(.http2) { $0.skippedBytes &+= added }
        }
    }

    private static func word(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset &+ 1]) << 16 | UInt32(bytes[offset &+ 2]) << 8 | UInt32(bytes[offset &+ 3])
    }
}
