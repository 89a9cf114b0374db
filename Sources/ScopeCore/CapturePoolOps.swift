/// The mempool ops of the capture pool: which shared structure carries
/// mbufs between the primary's callbacks (they allocate) and us (we free).
///
/// A ring is cheapest, and it is what dpdk-dumpcap uses, but a producer
/// that dies between reserving ring slots and publishing them leaves the
/// ring's tail behind for good: the next producer spins forever waiting
/// for it. We free into the pool, so a dpdkscope killed with SIGKILL
/// inside a free (roughly one kill in ten at full rate against testpmd,
/// in our measurements) hangs the primary's forwarding lcore at its next
/// free into the pool: the primary stops forwarding until it restarts.
/// The lock-free stack publishes with one compare-and-swap, so a death
/// mid-operation can only leak the objects in flight, never block.
/// It costs the primary's lcore more per copied packet (see BENCHMARKS.md).
/// The CLI's `--pool-ops` and the agent's `ring.pool_ops` choose it.
public enum CapturePoolOps: String, CaseIterable, Sendable {
    /// DPDK's `lf_stack` (drivers/mempool/stack): a dead dpdkscope cannot stall the primary.
    case lockFree = "lf_stack"
    /// DPDK's `ring_mp_mc`, dpdk-dumpcap's choice: cheaper per copy.
    case ring = "ring_mp_mc"

    /// What can be used against a primary whose ops table (aligned with
    /// ours) is `primaryOps`: the primary calls our pool's ops by index
    /// into its own table, so a pool may only use ops the primary has
    /// at the same index. Unknown tables get the ring, as before.
    public func usable(primaryOps: [String]?) -> CapturePoolOps {
        guard self == .lockFree else { return self }
        return primaryOps?.contains(rawValue) == true ? self : .ring
    }
}
