/// Which packets live analysis takes, so that analysis never throttles the
/// capture it rides on.
///
/// Analysis runs inline in the capture loop (no copy, no hand-off). When it
/// costs more per packet than the traffic allows, the loop falls behind, the
/// pdump ring fills and the primary drops copies: every flow then loses
/// random packets, the dumpfile too. Instead, under overload analysis keeps
/// a share of the *flows* (by `FlowSampleHash`) and lets the rest pass
/// unanalysed: capture stays whole, and the flows still analysed stay whole.
///
/// The share follows the ring: the loop reports, twenty times a second, how
/// full its ring was on average after each dequeue. Above `shedAbove` the
/// share drops by a quarter (by half when the ring is nearly full), down to
/// none: when the primary outruns even a bare capture no analysis is
/// affordable at all. Below `recoverBelow` it grows back by an eighth plus
/// one bucket per report (about 3 s from none to all). Growth is
/// multiplicative because heavy flows make the share lumpy: one keep-alive
/// connection can carry a tenth of the packets, and a fixed step would keep
/// readmitting it; small steps from a small share settle just below it.
/// A level that overloaded right after a step up is not tried again for a
/// hold time that doubles while it keeps failing (1 s up to a minute), so
/// the share rests below the flow that tips it over instead of oscillating.
///
/// At full share no hash is computed, so below saturation admission costs
/// one comparison and loses nothing.
public struct AnalysisAdmission: Sendable {
    public static let buckets: UInt32 = 1024
    /// Mean ring fill (0...1) above which the share shrinks.
    public var shedAbove = 0.5
    /// Mean ring fill below which the share grows back.
    public var recoverBelow = 0.1

    /// Flows admitted: those whose hash falls in the first `admittedBuckets`
    /// of `buckets`.
    public private(set) var admittedBuckets = Self.buckets
    /// Packets let through unanalysed.
    public private(set) var shedPackets: UInt64 = 0
    /// Reports that shrank the share: how often the loop was overloaded.
    public private(set) var overloads: UInt64 = 0

    // Probe back-off, counted in reports (twenty a second).
    private var reports: UInt64 = 0
    private var ceiling = Self.buckets
    private var holdUntil: UInt64 = 0
    private var holdReports: UInt64 = Self.initialHold
    private var steppedUp = false
    private static let initialHold: UInt64 = 20
    private static let longestHold: UInt64 = 1200

    public init() {}

    /// Share of flows analysed, 0...1.
    public var admittedShare: Double { Double(admittedBuckets) / Double(Self.buckets) }
    public var isShedding: Bool { admittedBuckets < Self.buckets }

    /// True when the frame's flow is analysed now.
    @inline(__always)
    public mutating func admits(ethernetFrame frame: UnsafeRawBufferPointer) -> Bool {
        if admittedBuckets == Self.buckets { return true }
        if admittedBuckets > 0, FlowSampleHash.hash(ethernetFrame: frame) % Self.buckets < admittedBuckets { return true }
        shedPackets &+= 1
        return false
    }

    /// One report of the ring's mean fill since the last one (0...1).
    public mutating func update(meanRingFill fill: Double) {
        reports &+= 1
        if fill > shedAbove {
            overloads &+= 1
            if steppedUp, admittedBuckets > 0 {
                // The last step up tipped it over: stay below that level.
                ceiling = admittedBuckets - 1
                holdUntil = reports &+ holdReports
                holdReports = min(holdReports * 2, Self.longestHold)
            }
            let cut = fill > 0.9 ? admittedBuckets / 2 : admittedBuckets / 4
            admittedBuckets -= min(admittedBuckets, max(1, cut))
            steppedUp = false
        } else if fill < recoverBelow {
            if reports >= holdUntil { ceiling = Self.buckets }
            let next = min(ceiling, Self.buckets, admittedBuckets + admittedBuckets / 8 + 1)
            steppedUp = next > admittedBuckets
            admittedBuckets = max(admittedBuckets, next)
            if admittedBuckets == Self.buckets { holdReports = Self.initialHold }
        } else {
            steppedUp = false
        }
    }

    /// For `--stats` and the agent's analyzer counters
    /// (`{protocol="analysis",counter="shed_packets"}`).
    public var statsFields: [(String, UInt64)] {
        [("analysis_shed_packets", shedPackets), ("analysis_overloads", overloads)]
    }
}
