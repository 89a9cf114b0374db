import ScopeCore
import Testing

/// The checks that decide whether dpdkscope may attach to a primary of a
/// given DPDK release, and how the timestamps of its copies are read.
@Suite struct DPDKReleaseTests {
    static func code(_ year: UInt32, _ month: UInt32, _ minor: UInt32, _ release: UInt32 = 99) -> UInt32 {
        year << 24 | month << 16 | minor << 8 | release
    }

    /// Which primaries clear a queue's pdump counters at enable (so a
    /// capture reads them as they are) and which add up over captures (so
    /// it subtracts where they stood): the fix and its backports.
    @Test func pdumpCountersClearedOnEnableFromTheFixedReleases() {
        let cleared = [(22, 11, 8), (22, 11, 11), (23, 11, 4), (23, 11, 7), (24, 11, 2), (24, 11, 8), (25, 3, 0), (25, 11, 0), (26, 3, 0)]
        let cumulative = [(22, 11, 0), (22, 11, 7), (23, 11, 0), (23, 11, 3), (24, 11, 0), (24, 11, 1), (24, 7, 0), (23, 3, 0), (21, 11, 5)]
        for (year, month, minor) in cleared {
            #expect(PdumpCounters.clearedOnEnable(version: Self.code(UInt32(year), UInt32(month), UInt32(minor))), "\(year).\(month).\(minor)")
        }
        for (year, month, minor) in cumulative {
            #expect(!PdumpCounters.clearedOnEnable(version: Self.code(UInt32(year), UInt32(month), UInt32(minor))), "\(year).\(month).\(minor)")
        }
        let start = PdumpCounters(accepted: 10, filtered: 1, nombuf: 2, ringfull: 3)
        #expect(PdumpCounters(accepted: 25, filtered: 1, nombuf: 5, ringfull: 3).since(start)
                == PdumpCounters(accepted: 15, filtered: 0, nombuf: 3, ringfull: 0))
        // Cleared by someone else meanwhile: never wraps to a huge number.
        #expect(PdumpCounters(accepted: 4).since(start) == PdumpCounters(accepted: 0))
    }

    @Test func identicalVersionsAttach() {
        #expect(PrimaryProcess.versionMismatch(primary: Self.code(22, 11, 11), ours: Self.code(22, 11, 11), pid: 7) == nil)
        #expect(PrimaryProcess.versionMismatch(primary: Self.code(24, 11, 8), ours: Self.code(24, 11, 8), pid: 7) == nil)
    }

    @Test func anotherReleaseNamesTheBuildThatIsNeeded() throws {
        let line = try #require(PrimaryProcess.versionMismatch(primary: Self.code(24, 11, 8), ours: Self.code(22, 11, 11), pid: 42))
        #expect(line.contains("pid 42"))
        #expect(line.contains("runs DPDK 24.11.8"))
        #expect(line.contains("built against DPDK 22.11.11"))
        #expect(line.hasSuffix("use a dpdkscope built against DPDK 24.11"))
        #expect(!line.contains("\n"))
        // And the reverse direction.
        let reverse = try #require(PrimaryProcess.versionMismatch(primary: Self.code(22, 11, 11), ours: Self.code(24, 11, 8), pid: 42))
        #expect(reverse.hasSuffix("use a dpdkscope built against DPDK 22.11"))
        // Month matters as much as year: 23.03 is not 23.11.
        let month = try #require(PrimaryProcess.versionMismatch(primary: Self.code(23, 3, 0), ours: Self.code(23, 11, 0), pid: 1))
        #expect(month.hasSuffix("built against DPDK 23.03"))
    }

    @Test func anotherPointReleaseIsRefusedAsEALWould() throws {
        let line = try #require(PrimaryProcess.versionMismatch(primary: Self.code(22, 11, 4), ours: Self.code(22, 11, 11), pid: 9))
        #expect(line.contains("runs DPDK 22.11.4"))
        #expect(line.contains("identical point release"))
        #expect(!line.contains("built against DPDK 22.11:"))
        // A release candidate of the same point release differs too.
        #expect(PrimaryProcess.versionMismatch(primary: Self.code(24, 11, 0, 1), ours: Self.code(24, 11, 0), pid: 9) != nil)
    }

    @Test func releaseStrings() {
        #expect(PrimaryProcess.releaseString(Self.code(24, 11, 8)) == "24.11")
        #expect(PrimaryProcess.releaseString(Self.code(23, 3, 0)) == "23.03")
    }

    @Test func timestampKindFollowsTheRelease() {
        #expect(PrimaryTimestampKind(stampsTSCCycles: false) == .nanosecondsWithWrapFault)
        #expect(PrimaryTimestampKind(stampsTSCCycles: true) == .tscCycles)
    }
}

@Suite struct PrimaryTSCClockTests {
    static let hz: UInt64 = 2_100_000_000
    static let base: UInt64 = 1_764_921_600_000_000_000 // 2025-12-05 08:00 UTC

    @Test func cyclesAfterTheBaseAddTheirDuration() throws {
        let clock = try #require(PrimaryTSCClock(tscHz: Self.hz, baseCycles: 5_000_000_000_000, baseNanoseconds: Self.base))
        #expect(clock.nanoseconds(cycles: 5_000_000_000_000) == Self.base)
        #expect(clock.nanoseconds(cycles: 5_000_000_000_000 + Self.hz) == Self.base + 1_000_000_000)
        #expect(clock.nanoseconds(cycles: 5_000_000_000_000 + 21) == Self.base + 10)
        // A day later: no overflow from cycles × 10^9.
        let day = Self.hz * 86_400
        #expect(clock.nanoseconds(cycles: 5_000_000_000_000 + day + Self.hz / 2) == Self.base + 86_400_500_000_000)
    }

    @Test func cyclesBeforeTheBaseAreEarlierNotWrapped() throws {
        let clock = try #require(PrimaryTSCClock(tscHz: Self.hz, baseCycles: 5_000_000_000_000, baseNanoseconds: Self.base))
        #expect(clock.nanoseconds(cycles: 5_000_000_000_000 - Self.hz * 3) == Self.base - 3_000_000_000)
        // The TSC wrapping around between base and stamp still reads forward.
        let nearWrap = try #require(PrimaryTSCClock(tscHz: Self.hz, baseCycles: .max - 10, baseNanoseconds: Self.base))
        #expect(nearWrap.nanoseconds(cycles: 10) == Self.base + 10)
    }

    @Test func unknownRateIsRefused() {
        #expect(PrimaryTSCClock(tscHz: 0, baseCycles: 1, baseNanoseconds: 1) == nil)
    }

    @Test func convertsAnEnhancedPacketBlockInPlace() throws {
        let clock = try #require(PrimaryTSCClock(tscHz: Self.hz, baseCycles: 1_000, baseNanoseconds: Self.base))
        var block = [UInt8](repeating: 0xAB, count: 32)
        let cycles: UInt64 = 1_000 + Self.hz * 2
        block.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(cycles >> 32), toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: UInt32(truncatingIfNeeded: cycles), toByteOffset: 16, as: UInt32.self)
            clock.convertBlock(at: raw.baseAddress!)
        }
        let high = block.withUnsafeBytes { UInt64($0.load(fromByteOffset: 12, as: UInt32.self)) }
        let low = block.withUnsafeBytes { UInt64($0.load(fromByteOffset: 16, as: UInt32.self)) }
        #expect(high << 32 | low == Self.base + 2_000_000_000)
        #expect(block[0..<12].allSatisfy { $0 == 0xAB } && block[20...].allSatisfy { $0 == 0xAB })
    }
}
