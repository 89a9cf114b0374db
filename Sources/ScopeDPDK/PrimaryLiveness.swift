import Synchronization

/// Remembers, process-wide, that the primary was seen dead.
///
/// Once it is gone, the ring, pool, claim and BPF program we made live in a
/// dead process's hugepage memory, guarded by locks in that memory that it
/// may have died holding (the heap's spinlock, the memzone and hotplug
/// rwlocks), and freeing pages would ask its vanished socket for help. So the
/// release paths and EAL cleanup skip them: the memory goes with the next
/// primary of that prefix, and exiting promptly with code 3 matters more.
public enum PrimaryLiveness {
    private static let gone = Atomic<Bool>(false)

    /// True once any check saw the primary dead; it never comes back.
    public static var knownGone: Bool { gone.load(ordering: .acquiring) }

    static func noteGone() { gone.store(true, ordering: .releasing) }
}
