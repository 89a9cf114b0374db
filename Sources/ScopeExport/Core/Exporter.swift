import Foundation

/// One output: the caller enqueues encoded records and returns at once; a
/// thread of the output's own batches them, sends each batch through the
/// transport, and when the backend fails or falls behind, keeps batches in
/// the backlog (the on-disk spool when configured) and replays them in
/// order once it answers again, after back-off (`Retry-After` honoured).
/// Nothing is lost without being counted in `counters.dropped`.
public final class Exporter: @unchecked Sendable {
    public struct Settings: Sendable {
        /// The output's name in counters and log lines ("otlp_traces").
        public var name: String
        public var batchSize: Int
        /// Seconds a partial batch may wait before it is sent.
        public var interval: Double
        /// Records the in-memory queue holds before the caller's are refused.
        public var queueCapacity: Int
        /// Records the backlog holds when there is no spool.
        public var memoryBacklog: Int
        public var retry: RetryPolicy

        public init(name: String, batchSize: Int = 512, interval: Double = 1, queueCapacity: Int = 65_536,
                    memoryBacklog: Int = 65_536, retry: RetryPolicy = .init()) {
            self.name = name
            self.batchSize = max(1, batchSize)
            self.interval = interval
            self.queueCapacity = queueCapacity
            self.memoryBacklog = memoryBacklog
            self.retry = retry
        }
    }

    public let settings: Settings
    public let counters: ExportCounters
    private let queue: ExportQueue
    private let transport: ExportTransport
    private let backlog: Backlog
    private let log: @Sendable (String) -> Void
    /// Turns one enqueued item into this output's record (nil: not for it).
    private let encode: ([UInt8]) -> [UInt8]?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private let stopLock = NSLock()
    private var stopDeadline: UInt64?

    // The output thread's own state, guarded by `state`: the thread holds
    // it except while it waits for items, sleeps or sends, so a close that
    // times out can take over (`abandoned`) and spill what is left.
    private let state = NSLock()
    /// Records taken but not yet batched: `pending[pendingHead...]`.
    private var pending: [[UInt8]] = []
    private var pendingHead = 0
    private var pendingSince: UInt64 = 0
    private var failures = 0
    private var retryAt: UInt64 = 0
    /// A batch being sent that is not in the backlog yet.
    private var inFlight: [[UInt8]]?
    /// The output's thread is inside a request (the state lock is free).
    private var sending = false
    /// The relief thread moved the fresh batch in flight to the backlog's
    /// head (`inFlight` is nil then): it leaves the backlog once sent.
    private var inFlightSpilledAhead = false
    /// Signalled as each request starts: the relief thread sleeps on it
    /// while no request is in flight (an idle output wakes nobody).
    private let requestStarted = DispatchSemaphore(value: 0)
    /// Set by a close whose time ran out: the thread touches nothing more.
    private var abandoned = false

    private var pendingCount: Int { pending.count - pendingHead }
    /// Queued records past which the relief thread spills during a request.
    private var highWater: Int { max(settings.batchSize, settings.queueCapacity / 2) }

    /// `spool`: the on-disk backlog; nil keeps it in memory. `counters`:
    /// the counts to go on from (a reload's predecessor's, `ExportCounters.byOutput`).
    public init(settings: Settings, transport: ExportTransport, spool: Spool?,
                encode: @escaping ([UInt8]) -> [UInt8]? = { $0 }, counters: ExportCounters = ExportCounters(),
                log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.counters = counters
        self.transport = transport
        self.backlog = spool ?? MemoryBacklog(capacity: settings.memoryBacklog)
        self.encode = encode
        self.log = log
        queue = ExportQueue(capacity: settings.queueCapacity)
        countLost()
        if let spool, !spool.isEmpty {
            log("output \(settings.name): \(spool.records) records in the spool from an earlier run; sending them first")
        }
    }

    public func start() {
        let thread = Thread { [self] in
            ThreadName.setCurrent(settings.name)  // "otlp_traces", "kafka": each output apart in top and perf
            run()
            finished.signal()
        }
        thread.name = "dpdkscope-\(settings.name)"
        self.thread = thread
        thread.start()
        let relief = Thread { [self] in
            ThreadName.setCurrent(settings.name + "+")
            relieve()
        }
        relief.name = "dpdkscope-\(settings.name)-relief"
        relief.start()
    }

    /// The caller's side: never blocks on the backend. Refused items (queue
    /// full, output closed) are counted as dropped.
    public func enqueue(_ items: [[UInt8]]) {
        guard !items.isEmpty else { return }
        let refused = queue.offer(items)
        if refused > 0 { counters.add { $0.dropped &+= UInt64(refused) } }
    }

    /// Newline-separated items in one buffer (the event file's bytes): the
    /// caller's cost is one count of the newlines; splitting and encoding
    /// happen on the output's thread. Refused whole when the queue lacks
    /// room for all its lines (counted as dropped).
    public func enqueue(ndjson buffer: [UInt8]) {
        var lines = 0
        buffer.withUnsafeBufferPointer { bytes in
            for byte in bytes where byte == 0x0A { lines &+= 1 }
            if let last = bytes.last, last != 0x0A { lines &+= 1 }
        }
        let refused = queue.offer(buffer: buffer, lines: lines)
        if refused > 0 { counters.add { $0.dropped &+= UInt64(refused) } }
    }

    /// Sends what it can within `timeout` seconds; what remains stays in
    /// the spool for the next start (or, without one, is counted as dropped).
    /// Returns within about `timeout` + 1 s even when a request hangs: the
    /// thread is then left to finish that request alone, and everything
    /// not yet sent (that request's batch included) goes to the backlog.
    public func close(timeout: Double) {
        stopLock.lock()
        stopDeadline = MonotonicClock.now &+ UInt64(max(0, timeout) * 1e9)
        stopLock.unlock()
        queue.close()
        if thread != nil, finished.wait(timeout: .now() + max(0, timeout) + 1) == .timedOut {
            abandon()
        }
        thread = nil
        (backlog as? Spool)?.release()
    }

    /// The close's time ran out with the thread inside a request.
    private func abandon() {
        state.lock()
        defer { state.unlock() }
        abandoned = true
        accept(queue.take(waitingUntil: 0))
        var left: [[UInt8]] = inFlight ?? []
        inFlight = nil
        left += pending[pendingHead...]
        pending = []
        pendingHead = 0
        var offset = 0
        while offset < left.count {
            let end = min(left.count, offset + settings.batchSize)
            spill(Array(left[offset..<end]))
            offset = end
        }
        log("output \(settings.name): no answer within the exit timeout; \(left.count) records \(backlog is Spool ? "left in the spool" : "dropped")")
        if !(backlog is Spool), backlog.records > 0 {
            let lost = backlog.records
            counters.add { $0.dropped &+= UInt64(lost) }
        }
    }

    private var deadline: UInt64? {
        stopLock.lock()
        defer { stopLock.unlock() }
        return stopDeadline
    }

    private func run() {
        state.lock()
        defer { state.unlock() }
        while true {
            let now = MonotonicClock.now
            var wake = now &+ UInt64(settings.interval * 1e9)
            if pendingCount > 0 { wake = min(wake, pendingSince &+ UInt64(settings.interval * 1e9)) }
            if !backlog.isEmpty { wake = min(wake, max(retryAt, now)) }
            if deadline != nil { wake = now }
            state.unlock()
            let items = queue.take(waitingUntil: wake)
            state.lock()
            if abandoned { return }
            accept(items)
            if let stop = deadline, queue.isClosed {
                // What was offered between the take above and the close is
                // still queued (a closed queue refuses anything later): take
                // it, then the final flush.
                accept(queue.take(waitingUntil: 0))
                drain(until: stop)
                return
            }
            step(force: false)
        }
    }

    /// Encodes taken items into `pending` (buffers split into their lines).
    private func accept(_ items: [ExportQueue.Entry]) {
        guard !items.isEmpty else { return }
        if pendingCount == 0 { pendingSince = MonotonicClock.now }
        for item in items {
            if item.isBuffer {
                for line in item.bytes.split(separator: 0x0A) {
                    if let record = encode(Array(line)) { pending.append(record) }
                }
            } else if let record = encode(item.bytes) {
                pending.append(record)
            }
        }
    }

    /// One round: ship full (or overdue) batches directly when healthy,
    /// otherwise spill them to the backlog and replay its oldest batch
    /// once the back-off has passed.
    private func step(force: Bool) {
        let now = MonotonicClock.now
        let due = force || now &- pendingSince >= UInt64(settings.interval * 1e9)
        while pendingCount >= settings.batchSize || (pendingCount > 0 && due) {
            let batch = takePendingBatch()
            // Past a close's deadline nothing more is attempted: the rest
            // waits in the backlog (the spool) for the next start.
            let overdue = deadline.map { MonotonicClock.now >= $0 } ?? false
            if backlog.isEmpty && now >= retryAt && !overdue {
                let done = deliver(batch, fresh: true)
                if abandoned { return }
                if inFlightSpilledAhead {
                    // At the backlog's head already: it stays there to be
                    // replayed unless it is done with.
                    inFlightSpilledAhead = false
                    if done { try? backlog.removeOldest() }
                } else if !done {
                    spill(batch)
                }
            } else {
                spill(batch)
            }
        }
        if pendingCount == 0 { pendingSince = now }
        // A few batches per round, so the queue is drained in between.
        var replayed = 0
        while !backlog.isEmpty && MonotonicClock.now >= retryAt && replayed < 8
                && !(deadline.map { MonotonicClock.now >= $0 } ?? false) {
            replayed += 1
            let batch = try? backlog.oldest()
            countLost()
            guard let batch else { break }
            guard deliver(batch, fresh: false), !abandoned else { break }
            try? backlog.removeOldest()
        }
    }

    /// The oldest `batchSize` pending records (fewer if fewer are pending).
    private func takePendingBatch() -> [[UInt8]] {
        let end = min(pending.count, pendingHead + settings.batchSize)
        let batch = Array(pending[pendingHead..<end])
        pendingHead = end
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        return batch
    }

    /// The relief thread. While the output's thread waits on a request
    /// (a slow backend, or one that does not answer until the timeout), the
    /// queue fills and would refuse the caller's records. Past `highWater`,
    /// this thread moves them to the backlog instead, behind the batch in
    /// flight and in order, as long as the backlog has room: a slow backend
    /// fills the spool, not the drop counter, and the output's thread sends
    /// from the backlog once the backend keeps up.
    /// It polls every 10 ms during a request and sleeps between requests.
    private func relieve() {
        while !queue.isClosed {
            // The timeout only notices a close that came with no request.
            guard requestStarted.wait(timeout: .now() + 0.5) == .success else { continue }
            while !queue.isClosed {
                usleep(10_000)
                state.lock()
                if abandoned || deadline != nil {
                    state.unlock()
                    return
                }
                let inRequest = sending
                if inRequest && queue.count >= highWater { spillQueued() }
                state.unlock()
                if !inRequest { break }
            }
        }
    }

    /// Queued records to the backlog, down to half the high-water mark or
    /// until the backlog is full (nothing is pushed out for them).
    private func spillQueued() {
        if let batch = inFlight {
            // A fresh batch in flight goes first, so everything after it
            // stays behind it. The backlog was empty when it was sent. A
            // failed write counts nothing: the request may still succeed,
            // and if it fails the output's thread spills the batch itself.
            guard backlog.isEmpty, backlog.hasRoom(for: batch), (try? backlog.append(batch)) == 0 else { return }
            counters.add { $0.spooled &+= UInt64(batch.count) }
            inFlight = nil
            inFlightSpilledAhead = true
        }
        while true {
            if pendingCount < settings.batchSize {
                let taken = queue.take(upTo: settings.batchSize)
                guard !taken.isEmpty else { return }
                accept(taken)
                continue
            }
            let next = pending[pendingHead..<(pendingHead + settings.batchSize)]
            guard backlog.hasRoom(for: Array(next)) else { return }
            // A failed write (a full or broken disk): the rest waits for the output's thread.
            guard spill(takePendingBatch()) else { return }
            if queue.count < highWater / 2 { return }
        }
    }

    /// Final flush: everything pending goes out or to the backlog.
    private func drain(until stop: UInt64) {
        step(force: true)
        while !backlog.isEmpty && MonotonicClock.now < stop && !abandoned {
            if MonotonicClock.now < retryAt {
                state.unlock()
                usleep(UInt32(min(100_000, (retryAt &- MonotonicClock.now) / 1000)))
                state.lock()
                continue
            }
            step(force: true)
        }
        if abandoned { return }
        if !(backlog is Spool), backlog.records > 0 {
            let lost = backlog.records
            counters.add { $0.dropped &+= UInt64(lost) }
            log("output \(settings.name): \(lost) records unsent at exit (no spool configured): dropped")
        }
    }

    /// Records of spool files that could not be read back, as dropped.
    private func countLost() {
        let lost = backlog.takeLost()
        if lost > 0 {
            counters.add { $0.dropped &+= UInt64(lost) }
            log("output \(settings.name): \(lost) records of an unreadable spool file dropped")
        }
    }

    /// One attempt. True when the batch is done with (sent or rejected for
    /// good), false when it should wait and be tried again.
    /// `fresh`: not in the backlog yet (an abandoning close must spill it).
    /// The state lock is released while the request runs.
    private func deliver(_ batch: [[UInt8]], fresh: Bool) -> Bool {
        inFlight = fresh ? batch : nil
        sending = true
        requestStarted.signal()
        state.unlock()
        let result = transport.send(batch)
        state.lock()
        sending = false
        inFlight = nil
        if abandoned { return false }
        switch result {
        case .sent(let claimed, let message):
            // The backend's own count: a negative or oversized one must not trap the agent.
            let rejected = min(max(claimed, 0), batch.count)
            if failures > 0 { log("output \(settings.name): backend answering again") }
            failures = 0
            retryAt = 0
            counters.add {
                $0.sent &+= UInt64(batch.count - rejected)
                $0.dropped &+= UInt64(rejected)
            }
            if rejected > 0 {
                log("output \(settings.name): backend rejected \(rejected) of \(batch.count) records\(message.map { ": " + $0 } ?? "")")
            }
            return true
        case .retry(let after, let reason):
            failures += 1
            let delay = settings.retry.delay(afterFailures: failures, retryAfter: after)
            retryAt = MonotonicClock.now &+ UInt64(delay * 1e9)
            counters.add { $0.retried &+= 1 }
            if failures == 1 {
                log("output \(settings.name): \(reason); keeping events and retrying with back-off")
            }
            return false
        case .rejected(let reason):
            counters.add { $0.dropped &+= UInt64(batch.count) }
            log("output \(settings.name): backend rejected a batch of \(batch.count) records (not retried): \(reason)")
            return true
        }
    }

    /// False when the backlog could not take the batch (counted as dropped).
    @discardableResult
    private func spill(_ batch: [[UInt8]]) -> Bool {
        do {
            let dropped = try backlog.append(batch)
            counters.add {
                $0.spooled &+= UInt64(batch.count)
                $0.dropped &+= UInt64(dropped)
            }
            if dropped > 0 { log("output \(settings.name): backlog full, dropped the \(dropped) oldest records") }
            return true
        } catch {
            counters.add { $0.dropped &+= UInt64(batch.count) }
            log("output \(settings.name): \(error); \(batch.count) records dropped")
            return false
        }
    }
}
