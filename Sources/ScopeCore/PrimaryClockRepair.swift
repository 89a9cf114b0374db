/// Undoes a DPDK 22.11 timestamp fault in the primary's pcapng copies.
///
/// librte_pcapng initialises its TSC→ns base lazily, on the first copy. The
/// pdump callback reads the burst's TSC *before* that copy, so the very first
/// delta is negative; as unsigned it wraps, and the base jumps forward by
/// 2^64 cycles' worth of seconds. From then on, until the primary restarts,
/// every timestamp is exactly 2^64 × 10^9 / tsc_hz nanoseconds in the future
/// (about 278 years at 2.1 GHz). dpdk-dumpcap writes those dates as they
/// come. Secondaries share the primary's tsc_hz (EAL copies it from the
/// shared memory config), so the offset can be removed exactly.
public struct PrimaryClockRepair: Sendable {
    /// 2^64 TSC cycles in nanoseconds.
    public let wrapNanoseconds: UInt64
    /// Timestamps above this are considered wrapped.
    public private(set) var futureLimit: UInt64
    public private(set) var repaired: UInt64 = 0

    /// nil when the TSC rate makes a wrap impossible to express (< 1 GHz
    /// cannot wrap within 64-bit nanoseconds the same way) or is unknown.
    public init?(tscHz: UInt64, nowNanoseconds: UInt64) {
        guard tscHz > 1_000_000_000 else { return nil }
        wrapNanoseconds = tscHz.dividingFullWidth((high: 1_000_000_000, low: 0)).quotient
        futureLimit = 0
        advance(nowNanoseconds: nowNanoseconds)
    }

    /// Timestamps more than an hour ahead of our clock cannot be real.
    public mutating func advance(nowNanoseconds: UInt64) {
        futureLimit = nowNanoseconds &+ 3_600_000_000_000
    }

    /// Repairs one timestamp if it carries the wrap offset.
    @inline(__always)
    public mutating func repair(_ timestamp: UInt64) -> UInt64 {
        guard timestamp > futureLimit, timestamp >= wrapNanoseconds else { return timestamp }
        let fixed = timestamp - wrapNanoseconds
        guard fixed <= futureLimit else { return timestamp }
        repaired &+= 1
        return fixed
    }

    /// Repairs the timestamp of an Enhanced Packet Block in place (offsets
    /// 12 and 16: high and low 32-bit words, host order as DPDK writes them).
    @inline(__always)
    public mutating func repairBlock(at base: UnsafeMutableRawPointer) {
        let high = UInt64(base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let low = UInt64(base.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        let original = high << 32 | low
        let fixed = repair(original)
        guard fixed != original else { return }
        base.storeBytes(of: UInt32(truncatingIfNeeded: fixed >> 32), toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: UInt32(truncatingIfNeeded: fixed), toByteOffset: 16, as: UInt32.self)
    }
}
