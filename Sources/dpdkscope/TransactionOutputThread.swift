import ScopeAnalyzers

#if canImport(Glibc)
import Glibc
#endif

/// `read --proto`: renders transactions (JSON or lines) and writes them to
/// stdout on a thread of its own, so the reading thread only decodes and
/// analyses. Rendering is about a third of the work; overlapping it is what
/// lets a big file go by in the time the analysis alone takes.
///
/// Batches change hands whole (arrays are moved, events are not copied)
/// through a queue of at most `depth` batches: when the output falls behind,
/// the analysis waits, so memory stays bounded. Written batches come back,
/// events and all: the reading thread destroys them itself, because memory
/// freed on another thread than the one that allocated it defeats malloc's
/// per-thread caches (that cost the reading thread a fifth more time).
/// Each side wakes the other only when it sleeps: in a VM a wake-up is
/// dear. Output order is the engine's order.
final class TransactionOutputThread: @unchecked Sendable {
    /// Events per hand-over: large enough that locking is rare, small
    /// enough that both threads stay busy.
    static let batchSize = 1024
    private static let depth = 8

    private let json: Bool
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()
    // Guarded by `lock`.
    private var queued: [[TransactionEvent]] = []
    /// Written batches, still holding their events.
    private var written: [[TransactionEvent]] = []
    private var closed = false
    private var writeError: Int32 = 0
    private var producerWaits = false
    private var consumerWaits = false

    /// nil when no thread can be started (the caller renders inline).
    init?(json: Bool) {
        self.json = json
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
        let started = pthread_create(&thread, nil, { context in
            let output = Unmanaged<TransactionOutputThread>.fromOpaque(context!).takeRetainedValue()
            output.run()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        guard started == 0 else {
            Unmanaged.passUnretained(self).release()
            return nil
        }
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        changed.deallocate()
        lock.deallocate()
    }

    /// Hands `batch` over and leaves an empty array (with capacity) in its
    /// place. Waits while the queue is full. Returns the errno of a failed
    /// write (nothing more is written after one), or 0.
    func submit(_ batch: inout [TransactionEvent]) -> Int32 {
        pthread_mutex_lock(lock)
        while queued.count >= Self.depth && writeError == 0 {
            producerWaits = true
            pthread_cond_wait(changed, lock)
        }
        let error = writeError
        var next = written.popLast() ?? []
        if error == 0 {
            swap(&next, &batch)
            queued.append(next)
            if consumerWaits { pthread_cond_broadcast(changed) }
        }
        pthread_mutex_unlock(lock)
        // Outside the lock: this is where the written events are destroyed.
        if error == 0 {
            batch.removeAll(keepingCapacity: true)
        } else {
            next.removeAll()
        }
        return error
    }

    /// No more batches: waits until everything queued is written. Returns
    /// the errno of the first failed write, or 0.
    func finish() -> Int32 {
        pthread_mutex_lock(lock)
        closed = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
        pthread_join(thread, nil)
        return writeError
    }

    private func run() {
        var output = StandardOutput()
        while let batch = nextBatch() {
            if output.error == 0 {
                batch.withUnsafeBufferPointer { events in
                    for index in events.indices {
                        events[index].appendRecord(json: json, to: &output.buffer)
                        if output.buffer.count >= 1 << 16 { output.flush() }
                    }
                }
            }
            recycle(batch, error: output.error)
        }
        output.flush()
        recycle(nil, error: output.error)
    }

    private func nextBatch() -> [TransactionEvent]? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while queued.isEmpty && !closed {
            consumerWaits = true
            pthread_cond_wait(changed, lock)
            consumerWaits = false
        }
        guard !queued.isEmpty else { return nil }
        let batch = queued.removeFirst()
        return batch
    }

    private func recycle(_ batch: [TransactionEvent]?, error: Int32) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let batch { written.append(batch) }
        if writeError == 0 && error != 0 { writeError = error }
        if producerWaits {
            producerWaits = false
            pthread_cond_broadcast(changed)
        }
    }
}
