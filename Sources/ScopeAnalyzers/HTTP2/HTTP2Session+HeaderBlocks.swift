import ScopeDecode

/// Header blocks: HEADERS, PUSH_PROMISE and CONTINUATION put together,
/// decoded by the side's HPACK decoder into the stream's messages.
extension HTTP2Session {
    /// The block fragment of HEADERS or PUSH_PROMISE: padding and priority
    /// (or the promised stream id) taken off.
    static func fragment(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, skip: Int)
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

    func headers(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        let id = header.stream
        if !streams.contains(id) {
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
    func opens(_ id: UInt32, fromClient: Bool) -> Bool {
        if fromClient {
            if clientStreams.first == 0 { clientStreams.first = id }
            clientStreams.highest = max(clientStreams.highest, id)
            return true
        }
        return clientStreams.first == 0 || id < clientStreams.first || id > clientStreams.highest
    }

    func unknownHeaders(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool) {
        context.count(.http2) { $0.skippedBytes &+= UInt64(HTTP2FrameHeader.size &+ header.length) }
        guard let fragment = Self.fragment(header, payload, skip: header.flags & HTTP2Flag.priority != 0 ? 5 : 0) else { return }
        if header.endHeaders {
            decodeBlock(fragment, stream: header.stream, endStream: false, fromClient: fromClient, at: 0)
        } else {
            startBlock(fragment, stream: header.stream, promised: 0, endStream: false, fromClient: fromClient)
        }
    }

    func pushPromise(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
        count(header, fromClient: fromClient)
        guard !fromClient, let fragment = Self.fragment(header, payload, skip: 4), fragment.count >= 0 else {
            context.count(.http2) { $0.parseErrors &+= 1 }
            return lose(fromClient: fromClient)
        }
        let start = header.padded ? 1 : 0
        guard payload.count >= start &+ 4 else { return }
        let promised = Self.word(payload, start) & 0x7FFF_FFFF
        open(promised, at: time, fromClient: true)
        if let slot = streams.slot(promised) {
            slot.pointee.pushed = true
            slot.pointee.clientEnded = true
        }
        if header.endHeaders {
            decodeBlock(fragment, stream: promised, endStream: false, fromClient: false, promise: true, at: time)
        } else {
            startBlock(fragment, stream: header.stream, promised: promised, endStream: false, fromClient: false)
        }
    }

    func startBlock(_ fragment: UnsafeRawBufferPointer, stream: UInt32, promised: UInt32, endStream: Bool, fromClient: Bool) {
        var block = blocks[fromClient]
        block.bytes.removeAll(keepingCapacity: true)
        block.bytes.append(contentsOf: fragment)
        (block.stream, block.promised, block.endStream, block.active, block.overflow) = (stream, promised, endStream, true, false)
        blocks[fromClient] = block
    }

    func continuation(_ header: HTTP2FrameHeader, _ payload: UnsafeRawBufferPointer, fromClient: Bool, at time: UInt64) {
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
            streams.slot(id)?.pointee.notes.append("header block over \(blockLimit) bytes")
            lose(fromClient: fromClient)
            if block.endStream { endStream(id, fromClient: fromClient, at: time) }
            return
        }
        block.bytes.withUnsafeBytes {
            decodeBlock($0, stream: block.promised != 0 ? block.promised : block.stream, endStream: block.endStream,
                        fromClient: fromClient, promise: block.promised != 0, at: time)
        }
    }

    func append(_ payload: UnsafeRawBufferPointer, to block: inout HeaderBlock) {
        guard !block.overflow else { return }
        if block.bytes.count &+ payload.count > blockLimit {
            block.overflow = true
            block.bytes.removeAll(keepingCapacity: false)
            return
        }
        block.bytes.append(contentsOf: payload)
    }

    /// A whole header block: request headers, response headers (interim
    /// 1xx ones dropped) or either side's trailers.
    func decodeBlock(_ block: UnsafeRawBufferPointer, stream id: UInt32, endStream: Bool, fromClient: Bool,
                             promise: Bool = false, at time: UInt64) {
        guard let slot = streams.slot(id) else {
            // Decoded all the same: the table must stay in step.
            if fromClient { decoders.request.decode(block) { _, _ in } } else { decoders.response.decode(block) { _, _ in } }
            return
        }
        // Edited in place in its slot (no copy, no copy-on-write of its strings).
        let asRequest = fromClient || promise
        let trailer = asRequest ? slot.pointee.requestSeen : slot.pointee.responseSeen
        var fields = HTTP2Fields(configuration: context.configuration, trailer: trailer, request: asRequest, recent: recentValues)
        let lostBefore = fromClient ? decoders.request.lostFields : decoders.response.lostFields
        let ok = fromClient ? decoders.request.decode(block) { fields.add($0, $1, to: &slot.pointee) }
                            : decoders.response.decode(block) { fields.add($0, $1, to: &slot.pointee) }
        let lost = (fromClient ? decoders.request.lostFields : decoders.response.lostFields) &- lostBefore
        if !ok || lost > 0 || fields.overflow {
            context.count(.http2) { ok && !fields.overflow ? ($0.parseErrors &+= 1) : fields.overflow ? ($0.oversized &+= 1) : ($0.parseErrors &+= 1) }
            slot.pointee.notes.append(!ok ? "header block not decoded (HPACK)"
                                : fields.overflow ? "header list over \(context.configuration.maxHeaderBytes) bytes"
                                : "\(lost) header fields refer to HPACK entries sent before the capture")
        }
        if asRequest && !slot.pointee.requestSeen {
            slot.pointee.requestSeen = true
            context.count(.http2) { $0.requests &+= 1 }
        } else if !asRequest && !slot.pointee.responseSeen {
            if fields.interim {
                context.count(.http2) { $0.interimResponses &+= 1 }
                return
            }
            slot.pointee.responseSeen = true
            slot.pointee.response.start = time
            context.count(.http2) { $0.responses &+= 1 }
        }
        if asRequest { slot.pointee.request.end = time } else { slot.pointee.response.end = time }
        if endStream { self.endStream(at: slot, id: id, fromClient: fromClient, at: time) }
    }
}
