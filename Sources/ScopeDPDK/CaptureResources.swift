import CDPDK
import Logging
import ScopeCore

#if canImport(Glibc)
import Glibc
#endif

/// The ring, mempool and claim record one capture owns in shared memory.
///
/// Shared objects outlive the process that made them, and a killed capture
/// leaves its pdump callbacks installed, still copying into its ring. So
/// every name carries our pid, and before enabling a tuple we record it in a
/// claim memzone: a later run that finds a dead pid's claim can disable
/// exactly those callbacks and only then free the ring and pool.
public final class CaptureResources {
    static let ringPrefix = "dpdkscope-r-"
    static let poolPrefix = "dpdkscope-p-"
    static let claimPrefix = "dpdkscope-c-"
    /// Upper bound on claimed tuples; RTE_MAX_ETHPORTS×queues is far more
    /// than anyone captures, and the record must have a fixed size.
    static let maxClaims = 4096
    /// How long callbacks may still run in the primary after disable.
    static let gracePeriodMicroseconds: UInt32 = 20_000

    public let ring: OpaquePointer
    public let pool: OpaquePointer
    private let claims: UnsafeMutablePointer<UInt32>
    private let claimZone: UnsafePointer<rte_memzone>

    /// - Parameters:
    ///   - ringSize: ring entries (a power of two).
    ///   - mbufs: pool size; larger than the ring so a slow reader shows up
    ///     as `ringfull`, which names the cause, rather than `nombuf`.
    ///   - dataRoom: bytes per mbuf; longer packets become chains.
    ///   - ops: the pool's mempool ops (see `CapturePoolOps`).
    public init(ringSize: UInt32, mbufs: UInt32, dataRoom: UInt16, ops: CapturePoolOps, instance: Int = 0) throws {
        // "<pid>" or "<pid>-<instance>": pid(in:) reads the digits up to '-'.
        let pid = instance == 0 ? "\(getpid())" : "\(getpid())-\(instance)"
        let socket = rte_socket_id_by_idx(0)
        guard let zone = rte_memzone_reserve("\(Self.claimPrefix)\(pid)", (Self.maxClaims + 1) * 4, socket, 0) else {
            throw ScopeError(.failure, "cannot reserve the capture claim record: \(Self.lastError())")
        }
        claimZone = zone
        claims = zone.pointee.addr.bindMemory(to: UInt32.self, capacity: Self.maxClaims + 1)
        claims.initialize(repeating: 0, count: Self.maxClaims + 1)
        guard let ring = rte_ring_create("\(Self.ringPrefix)\(pid)", ringSize, socket, 0) else {
            rte_memzone_free(zone)
            throw ScopeError(.failure, "cannot create a \(ringSize)-entry capture ring: \(Self.lastError())")
        }
        self.ring = ring
        guard let pool = rte_pktmbuf_pool_create_by_ops("\(Self.poolPrefix)\(pid)", mbufs, 32, 0, dataRoom, socket, ops.rawValue) else {
            rte_ring_free(ring)
            rte_memzone_free(zone)
            throw ScopeError(.failure, "cannot create a pool of \(mbufs) mbufs of \(dataRoom) bytes in hugepage memory: \(Self.lastError()) (try smaller --mbufs or reserve more hugepages)")
        }
        self.pool = pool
    }

    /// Records a tuple before it is enabled (an intent log: whatever we
    /// enable is always claimed, even if we die right after).
    func claim(_ tuple: CaptureTuple) {
        let count = Int(claims[0])
        guard count < Self.maxClaims else { return }
        claims[count + 1] = Self.claimWord(tuple)
        claims[0] = UInt32(count + 1)
    }

    /// One claimed tuple in the record: port, queue, direction in 32 bits.
    static func claimWord(_ tuple: CaptureTuple) -> UInt32 {
        UInt32(tuple.port) << 16 | UInt32(tuple.queue) << 1 | (tuple.direction == .tx ? 1 : 0)
    }

    static func claimedTuple(_ word: UInt32) -> CaptureTuple {
        CaptureTuple(port: UInt16(word >> 16), portName: "", queue: UInt16((word >> 1) & 0x7FFF),
                     direction: word & 1 == 1 ? .tx : .rx)
    }

    func unclaimAll() { claims[0] = 0 }

    /// Frees everything; the caller has disabled every callback and waited.
    public func release() {
        rte_mempool_free(pool)
        rte_ring_free(ring)
        rte_memzone_free(claimZone)
    }

    static func lastError() -> String { String(cString: rte_strerror(cdpdk_errno())) }
}

extension CaptureResources {
    /// Frees what captures by dead pids left behind: disables their claimed
    /// callbacks first (the primary would otherwise copy into freed memory),
    /// waits, then frees ring, pool and claim. Returns the pids reclaimed.
    @discardableResult
    public static func reclaimAbandoned(logger: Logger) -> [Int32] {
        let names = memzoneNames()
        let dead = Set(names.compactMap { pid(in: $0) }).filter { $0 != getpid() && !PrimaryProcess.isAlive(pid: $0) }
        for pid in dead.sorted() {
            // Disabling a callback that someone already removed fails and
            // librte_pdump logs it; keep that out of the user's terminal.
            _ = cdpdk_log_capture_begin()
            defer {
                if let text = cdpdk_log_capture_end() {
                    logger.debug("\(String(cString: text))")
                    free(text)
                }
            }
            // One owner per session of that process: "<pid>", "<pid>-1", ...
            let owners = Set(names.compactMap { owner(in: $0) }.filter { Self.pid(inOwner: $0) == pid })
            var disabled = 0
            for owner in owners { disabled += disableClaims(of: owner) }
            usleep(gracePeriodMicroseconds)
            for owner in owners {
                if let ring = rte_ring_lookup("\(ringPrefix)\(owner)") { rte_ring_free(ring) }
                if let pool = rte_mempool_lookup("\(poolPrefix)\(owner)") { cdpdk_mempool_free_foreign(pool) }
                if let zone = rte_memzone_lookup("\(claimPrefix)\(owner)") { rte_memzone_free(zone) }
            }
            // Whatever a crash left half-freed (a pool's header or chunk
            // zones without its list entry) is unreachable otherwise.
            for name in memzoneNames() where Self.pid(in: name) == pid {
                if let zone = rte_memzone_lookup(name) { rte_memzone_free(zone) }
            }
            logger.warning("reclaimed the ring and pool of dead dpdkscope pid \(pid) (\(disabled) stale callback(s) disabled)")
        }
        return dead.sorted()
    }

    /// Disables every tuple a dead owner had claimed; returns how many were
    /// still enabled.
    static func disableClaims(of owner: String) -> Int {
        guard let zone = rte_memzone_lookup("\(claimPrefix)\(owner)") else { return 0 }
        let words = zone.pointee.addr.bindMemory(to: UInt32.self, capacity: maxClaims + 1)
        var disabled = 0
        for index in 0..<min(Int(words[0]), maxClaims)
            where PdumpEnabler.disable(claimedTuple(words[index + 1])) == 0 {
            disabled += 1
        }
        return disabled
    }

    /// Every memzone in the primary's shared memory (for leak checks too).
    public static func memzoneNames() -> [String] {
        final class Names { var all: [String] = [] }
        let names = Names()
        cdpdk_memzone_names({ name, context in
            guard let name, let context else { return }
            Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().all.append(String(cString: name))
        }, Unmanaged.passUnretained(names).toOpaque())
        return names.all
    }

    /// The pid in one of our shared object names: the ring's memzone is
    /// "RG_<name>", the pool's "MP_<name>" (chunks "MP_<name>_N", its ops ring
    /// "RG_MP_<name>"), the claim zone is the name itself.
    static func pid(in memzoneName: String) -> Int32? {
        owner(in: memzoneName).flatMap { pid(inOwner: $0) }
    }

    /// "<pid>" or "<pid>-<instance>" from one of our names (the pool's
    /// chunk zones "MP_<name>_N" carry a suffix after it).
    static func owner(in memzoneName: String) -> String? {
        for prefix in [claimPrefix, "RG_" + ringPrefix, "MP_" + poolPrefix, "RG_MP_" + poolPrefix] where memzoneName.hasPrefix(prefix) {
            let owner = memzoneName.dropFirst(prefix.count).prefix { $0.isNumber || $0 == "-" }
            return owner.isEmpty ? nil : String(owner)
        }
        return nil
    }

    static func pid(inOwner owner: String) -> Int32? {
        Int32(owner.prefix { $0.isNumber })
    }
}
