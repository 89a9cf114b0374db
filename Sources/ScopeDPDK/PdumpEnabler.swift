import CDPDK
import Logging
import ScopeCore

/// Enables pdump callbacks tuple by tuple, so a failure can be rolled back
/// (rte_pdump_enable with ALL_QUEUES stops at the first error and leaves the
/// earlier queues enabled).
struct PdumpEnabler {
    let resources: CaptureResources
    let snaplen: UInt32
    let filter: PacketFilter?
    let logger: Logger
    private(set) var enabled: [CaptureTuple] = []

    init(resources: CaptureResources, snaplen: UInt32, filter: PacketFilter?, logger: Logger) {
        self.resources = resources
        self.snaplen = snaplen
        self.filter = filter
        self.logger = logger
    }

    static func flags(_ direction: CaptureDirection) -> UInt32 {
        UInt32(direction == .tx ? RTE_PDUMP_FLAG_TX : RTE_PDUMP_FLAG_RX)
    }

    /// All or nothing: on the first failure every tuple enabled so far is
    /// disabled again before the error is thrown.
    mutating func enable(_ tuples: [CaptureTuple]) throws {
        for tuple in tuples {
            resources.claim(tuple)
            let flags = Self.flags(tuple.direction) | UInt32(RTE_PDUMP_FLAG_PCAPNG)
            if rte_pdump_enable_bpf(tuple.port, tuple.queue, flags, snaplen, resources.ring,
                                    resources.pool, filter?.program) != 0 {
                let err = cdpdk_errno()
                disableAll()
                if err == EEXIST {
                    throw ScopeError(.alreadyCapturing,
                                     "\(tuple) is already being captured by another process (or by one killed without cleanup, whose callback is still installed)")
                }
                if err == ETIMEDOUT {
                    throw ScopeError(.usageOrAttach, "the primary did not answer the pdump request for \(tuple) within 5 s")
                }
                throw ScopeError(.failure, "cannot enable capture on \(tuple): \(String(cString: rte_strerror(err)))")
            }
            enabled.append(tuple)
        }
    }

    /// Disables every enabled tuple; the caller then waits the grace period
    /// before draining and freeing.
    mutating func disableAll() {
        for tuple in enabled where rte_pdump_disable(tuple.port, tuple.queue, Self.flags(tuple.direction)) != 0 {
            logger.warning("cannot disable capture on \(tuple): \(String(cString: rte_strerror(cdpdk_errno())))")
        }
        enabled.removeAll()
        resources.unclaimAll()
    }

    /// The primary is gone: nothing to disable, nothing will copy any more.
    mutating func forgetAll() { enabled.removeAll() }
}
