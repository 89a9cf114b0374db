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
/// share drops by a quarter; below `recoverBelow` it grows back by 1/32 of
/// all flows per report (about 1.6 s from none to all). At full share no
/// hash is computed, so below saturation admission costs one comparison and
/// loses nothing.
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

    public init() {}

    /// Share of flows analysed, 0...1.
    public var admittedShare: Double { Double(admittedBuckets) / Double(Self.buckets) }
    public var isShedding: Bool { admittedBuckets < Self.buckets }

    /// True when the frame's flow is analysed now.
    @inline(__always)
    public mutating func admits(ethernetFrame frame: UnsafeRawBufferPointer) -> Bool {
        if admittedBuckets == Self.buckets { return true }
        if FlowSampleHash.hash(ethernetFrame: frame) % Self.buckets < admittedBuckets { return true }
        shedPackets &+= 1
        return false
    }

    /// One report of the ring's mean fill since the last one (0...1).
    public mutating func update(meanRingFill fill: Double) {
        if fill > shedAbove {
            overloads &+= 1
            admittedBuckets -= max(1, admittedBuckets / 4)
            admittedBuckets = max(admittedBuckets, 1)
        } else if fill < recoverBelow {
            admittedBuckets = min(Self.buckets, admittedBuckets + Self.buckets / 32)
        }
    }

    /// For `--stats` and the agent's analyzer counters
    /// (`{protocol="analysis",counter="shed_packets"}`).
    public var statsFields: [(String, UInt64)] {
        [("analysis_shed_packets", shedPackets), ("analysis_overloads", overloads)]
    }
}
