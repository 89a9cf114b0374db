/// Pairing for pipelined request/response protocols (HTTP/1.x today; Redis,
/// PostgreSQL later): responses answer requests in order, so the oldest
/// pending request takes the next response. Written once here instead of in
/// every protocol, with the bounds and the gap rules that keep a lost
/// message from shifting every later pairing by one.
struct FIFOMatcher<Request> {
    struct Entry {
        var request: Request
        /// When the request was complete; its timeout runs from here.
        var time: UInt64

        /// The request, moved out of the entry.
        consuming func consumed() -> Request { request }
    }

    enum Match {
        case matched(Request)
        /// No request can own this response (none pending, or it answers a
        /// request lost in a gap).
        case unmatched
    }

    let capacity: Int
    /// Popped entries become nil: requests are moved out, not copied.
    private var entries: [Entry?] = []
    private var head = 0
    /// After a gap in the request direction: the first `barrier` entries
    /// were queued before it; requests lost in the gap sit right after them.
    private var barrier: Int?

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { entries.count &- head }
    var isEmpty: Bool { head == entries.count }
    var first: Request? { isEmpty ? nil : entries[head]?.request }
    var oldestTime: UInt64? { isEmpty ? nil : entries[head]?.time }

    /// A look at the oldest request without copying it out (a copy of a
    /// request retains every String in it).
    func peek<T>(_ body: (Request) -> T) -> T? {
        guard !isEmpty else { return nil }
        return entries.withUnsafeBufferPointer { entries in entries[head].map { body($0.request) } }
    }

    /// Queues a request; returns the oldest one when the queue was full (the
    /// caller reports it unmatched, counted as an eviction).
    mutating func push(_ request: consuming Request, at time: UInt64) -> Request? {
        var evicted: Request?
        if count >= capacity { evicted = popFirst() }
        entries.append(Entry(request: request, time: time))
        return evicted
    }

    /// Pairs a response that started at `responseStart`. Past a request-side
    /// gap, a response that began before the next queued request was even
    /// complete cannot be its answer: it answers a lost request.
    mutating func match(responseStart: UInt64) -> Match {
        if let barrier, barrier <= 0 {
            guard let oldest = oldestTime, oldest <= responseStart else { return .unmatched }
            self.barrier = nil
        }
        guard let request = popFirst() else { return .unmatched }
        return .matched(request)
    }

    /// Bytes of the request direction were lost: requests (and so responses)
    /// may be missing from here on.
    mutating func requestGap() {
        if barrier == nil { barrier = count }
    }

    /// Bytes of the response direction were lost: some response for the
    /// queued requests is gone, and which one is unknowable. Rather than
    /// risk pairing every later response with the wrong request, all queued
    /// requests are given up (the caller reports them).
    mutating func responseGap(_ report: (Request) -> Void) {
        while let request = popFirst() { report(request) }
        barrier = nil
    }

    /// Reports requests that waited `timeout` or longer, oldest first.
    mutating func expire(now: UInt64, timeout: UInt64, _ report: (Request) -> Void) {
        while let oldest = oldestTime, now >= oldest, now &- oldest >= timeout, let request = popFirst() {
            report(request)
        }
    }

    /// Every pending request, oldest first (end of stream).
    mutating func drain(_ report: (Request) -> Void) {
        while let request = popFirst() { report(request) }
        barrier = nil
    }

    private mutating func popFirst() -> Request? {
        guard !isEmpty else { return nil }
        let request = entries[head].take()?.consumed()
        head &+= 1
        if let barrier { self.barrier = barrier &- 1 }
        if head == entries.count {
            entries.removeAll(keepingCapacity: entries.capacity <= 64)
            head = 0
        } else if head >= 32 && head &* 2 >= entries.count {
            entries.removeFirst(head)  // amortised: at most as many moves as pops
            head = 0
        }
        return request
    }
}
