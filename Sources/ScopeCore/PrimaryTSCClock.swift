/// Turns the raw TSC cycles that DPDK 23.11 and later put in a pcapng copy's
/// timestamp into nanoseconds since the epoch.
///
/// From 23.11, rte_pcapng_copy in the primary no longer converts: it stores
/// the cycle counter and expects the process writing the file to convert, as
/// dpdk-dumpcap does. We write the file, so we convert. Cycles are counted on
/// the same TSC in every process (one machine), so one pairing of a TSC
/// reading with the wall clock, taken when the capture starts, places every
/// later (or slightly earlier) copy in time.
///
/// Not used with 22.11, whose copies already carry nanoseconds (see
/// PrimaryClockRepair for its own fault).
public struct PrimaryTSCClock: Sendable {
    public let tscHz: UInt64
    public let baseCycles: UInt64
    public let baseNanoseconds: UInt64

    /// nil when the TSC rate is unknown (0): no conversion is possible, and
    /// writing cycles as dates would be worse than failing loudly elsewhere.
    public init?(tscHz: UInt64, baseCycles: UInt64, baseNanoseconds: UInt64) {
        guard tscHz > 0 else { return nil }
        self.tscHz = tscHz
        self.baseCycles = baseCycles
        self.baseNanoseconds = baseNanoseconds
    }

    /// Nanoseconds since the epoch for a TSC reading. Copies stamped before
    /// our base (packets already in the ring when we started) come out
    /// earlier, not 2^64 cycles later: the difference is taken as signed.
    @inline(__always)
    public func nanoseconds(cycles: UInt64) -> UInt64 {
        let delta = Int64(bitPattern: cycles &- baseCycles)
        let magnitude = delta.magnitude
        // Whole seconds and the remainder separately: cycles × 10^9 overflows
        // 64 bits after a few seconds at GHz rates.
        let offset = (magnitude / tscHz) &* 1_000_000_000 &+ (magnitude % tscHz) &* 1_000_000_000 / tscHz
        if delta >= 0 { return baseNanoseconds &+ offset }
        return offset > baseNanoseconds ? 0 : baseNanoseconds - offset
    }

    /// Converts an Enhanced Packet Block's timestamp in place (offsets 12 and
    /// 16: high and low 32-bit words, host order as DPDK writes them).
    @inline(__always)
    public func convertBlock(at base: UnsafeMutableRawPointer) {
        let high = UInt64(base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let low = UInt64(base.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        let converted = nanoseconds(cycles: high << 32 | low)
        base.storeBytes(of: UInt32(truncatingIfNeeded: converted >> 32), toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: UInt32(truncatingIfNeeded: converted), toByteOffset: 16, as: UInt32.self)
    }
}

/// What the primary's DPDK release means for the timestamps in its copies.
public enum PrimaryTimestampKind: Sendable, Equatable {
    /// 22.11: nanoseconds, possibly carrying the 2^64-cycle wrap fault.
    case nanosecondsWithWrapFault
    /// 23.11 and later: raw TSC cycles, converted by the reader.
    case tscCycles

    public init(stampsTSCCycles: Bool) {
        self = stampsTSCCycles ? .tscCycles : .nanosecondsWithWrapFault
    }
}
