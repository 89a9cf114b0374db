/// The value side of the parser: separators and element capture as values
/// begin, aggregates closing as they fill up, attributes left out, and the
/// finished message handed over.
extension RedisParser {
    /// Separator before a value inside an aggregate; counts top-level elements.
    mutating func beginValue(opensAttribute: Bool) {
        guard attributeLevels == 0 && !opensAttribute, let parent = stack.last else { return }
        if stack.count == 1 { current?.elementCount &+= 1 }
        renderer.separator(afterIndex: parent.index, paired: RESPType.isPaired(parent.type))
    }

    mutating func completeBlob(at timestamp: UInt64) -> RedisMessage? {
        completeScalar(renderer.keptText(verbatim: blobType == UInt8(ascii: "=")), at: timestamp)
    }

    mutating func completeScalar(_ text: String, at timestamp: UInt64) -> RedisMessage? {
        if attributeLevels == 0 {
            if stack.isEmpty {
                current?.elements = [text]
                current?.elementCount = 1
            } else if stack.count == 1, (current?.elements.count ?? 0) < RedisLimits.maxElements {
                current?.elements.append(RedisRenderer.capped(text, RedisLimits.maxElementBytes))
            }
            renderer.append(text)
        }
        return stack.isEmpty ? finish(at: timestamp) : completeAggregate(at: timestamp, counting: true)
    }

    /// One value finished inside the innermost aggregate (when `counting`),
    /// closing every aggregate that is now full.
    mutating func completeAggregate(at timestamp: UInt64, counting: Bool = false) -> RedisMessage? {
        var counting = counting
        while !stack.isEmpty {
            let last = stack.count &- 1
            if counting {
                stack[last].remaining &-= 1
                stack[last].index &+= 1
            }
            guard stack[last].remaining <= 0 else { return nil }
            let closed = stack.removeLast()
            if closed.type == UInt8(ascii: "|") {
                attributeLevels &-= 1
                return nil  // an attribute is not a value: its parent still waits
            }
            if attributeLevels == 0 { renderer.close(closed.type) }
            counting = true
        }
        return finish(at: timestamp)
    }

    mutating func finish(at timestamp: UInt64) -> RedisMessage? {
        guard var message = current.take() else { return nil }
        message.end = timestamp
        message.bytes = pendingBytes
        message.rendered = renderer.finish()
        hasParsed = true
        reset(to: .line)
        pendingBytes = 0
        pendingStart = nil
        return message
    }
}
