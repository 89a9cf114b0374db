/// The value side of the parser: separators and element capture as values
/// begin, aggregates closing as they fill up, attributes left out, and the
/// finished message handed over.
extension RedisParser {
    /// Separator before a value inside an aggregate; counts top-level elements.
    mutating func beginValue(opensAttribute: Bool) {
        guard attributeLevels == 0 && !opensAttribute, let parent = stack.last else { return }
        if stack.count == 1 && reading { current.elementCount &+= 1 }
        renderer.separator(afterIndex: parent.index, paired: RESPType.isPaired(parent.type))
    }

    mutating func completeBlob(at timestamp: UInt64) -> Bool {
        completeScalar(renderer.keptText(verbatim: blobType == UInt8(ascii: "=")), at: timestamp)
    }

    mutating func completeScalar(_ text: String, at timestamp: UInt64) -> Bool {
        if attributeLevels == 0 {
            if !reading {
                // nothing to record the value in
            } else if stack.isEmpty {
                current.elements.removeAll(keepingCapacity: true)  // reused storage (takeSpareElements)
                current.elements.append(text)
                current.elementCount = 1
            } else if stack.count == 1, current.elements.count < RedisLimits.maxElements {
                current.elements.append(RedisRenderer.capped(text, RedisLimits.maxElementBytes))
            }
            renderer.append(text)
        }
        return stack.isEmpty ? finish(at: timestamp) : completeAggregate(at: timestamp, counting: true)
    }

    /// One value finished inside the innermost aggregate (when `counting`),
    /// closing every aggregate that is now full.
    mutating func completeAggregate(at timestamp: UInt64, counting: Bool = false) -> Bool {
        var counting = counting
        while !stack.isEmpty {
            let last = stack.count &- 1
            if counting {
                stack[last].remaining &-= 1
                stack[last].index &+= 1
            }
            guard stack[last].remaining <= 0 else { return false }
            let closed = stack.removeLast()
            if closed.type == UInt8(ascii: "|") {
                attributeLevels &-= 1
                return false  // an attribute is not a value: its parent still waits
            }
            if attributeLevels == 0 { renderer.close(closed.type) }
            counting = true
        }
        return finish(at: timestamp)
    }

    /// Completes `current` (true); `advance` then hands it over.
    mutating func finish(at timestamp: UInt64) -> Bool {
        guard reading else { return false }
        current.end = timestamp
        current.bytes = pendingBytes
        current.rendered = renderer.finish()
        keepElements(of: current)
        hasParsed = true
        reset(to: .line)
        pendingBytes = 0
        pendingStart = nil
        return true
    }

    /// The completed message, swapped out, not copied: the parser keeps no
    /// reference to its arrays but the spare elements (an empty message
    /// holds none), so they are unshared again once the session is done.
    mutating func takeCompleted() -> RedisMessage {
        var message = RedisMessage(type: 0, start: 0, end: 0)
        swap(&message, &current)
        return message
    }
}
