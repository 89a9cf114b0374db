import CDPDK
import Logging
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// Enables pdump callbacks tuple by tuple, so a failure can be rolled back
/// (rte_pdump_enable with ALL_QUEUES stops at the first error and leaves the
/// earlier queues enabled).
struct PdumpEnabler {
    let resources: CaptureResources
    let snaplen: UInt32
    let filter: PacketFilter?
    let logger: Logger
    /// --takeover: a tuple that is already enabled (a killed capture's
    /// leftover, or anyone's) is disabled and enabled again for us.
    let takeover: Bool
    private(set) var enabled: [CaptureTuple] = []
    private(set) var takenOver: [CaptureTuple] = []

    init(resources: CaptureResources, snaplen: UInt32, filter: PacketFilter?, takeover: Bool, logger: Logger) {
        self.resources = resources
        self.snaplen = snaplen
        self.filter = filter
        self.takeover = takeover
        self.logger = logger
    }

    private func enableOne(_ tuple: CaptureTuple) -> Int32 {
        let flags = Self.flags(tuple.direction) | UInt32(RTE_PDUMP_FLAG_PCAPNG)
        cdpdk_control_lock()
        defer { cdpdk_control_unlock() }
        guard rte_pdump_enable_bpf(tuple.port, tuple.queue, flags, snaplen, resources.ring,
                                   resources.pool, filter?.program) != 0 else { return 0 }
        return cdpdk_errno()
    }

    static func flags(_ direction: CaptureDirection) -> UInt32 {
        UInt32(direction == .tx ? RTE_PDUMP_FLAG_TX : RTE_PDUMP_FLAG_RX)
    }

    /// All or nothing: on the first failure every tuple enabled so far is
    /// disabled again before the error is thrown.
    mutating func enable(_ tuples: [CaptureTuple]) throws {
        for tuple in tuples {
            resources.claim(tuple)
            var err = enableOne(tuple)
            if err == EEXIST && takeover {
                // The stale callback may be mid-burst: let it finish before
                // ours replaces it.
                _ = Self.disable(tuple)
                usleep(CaptureResources.gracePeriodMicroseconds)
                err = enableOne(tuple)
                if err == 0 {
                    logger.warning("took over \(tuple) from the capture that had it")
                    takenOver.append(tuple)
                }
            }
            if err != 0 {
                disableAll()
                if err == EEXIST {
                    throw ScopeError(.alreadyCapturing,
                                     "\(tuple) is already being captured by another secondary (if that capture was killed, rerun with --takeover)")
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
    /// before draining and freeing. Returns the tuples that could not be
    /// disabled: their callbacks may still write into our ring and pool, so
    /// those must not be freed (they stay claimed for a later reclaim).
    @discardableResult
    mutating func disableAll() -> [CaptureTuple] {
        var stuck: [CaptureTuple] = []
        for tuple in enabled where Self.disable(tuple) != 0 {
            let err = cdpdk_errno()
            // EINVAL: nothing was enabled there any more (someone disabled it).
            if err != EINVAL { stuck.append(tuple) }
            logger.warning("cannot disable capture on \(tuple): \(String(cString: rte_strerror(err)))")
        }
        enabled.removeAll()
        resources.unclaimAll()
        stuck.forEach(resources.claim)
        return stuck
    }

    static func disable(_ tuple: CaptureTuple) -> Int32 {
        cdpdk_control_lock()
        defer { cdpdk_control_unlock() }
        return rte_pdump_disable(tuple.port, tuple.queue, flags(tuple.direction))
    }

    /// The primary is gone: nothing to disable, nothing will copy any more.
    mutating func forgetAll() { enabled.removeAll() }
}
