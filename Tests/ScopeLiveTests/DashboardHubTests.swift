import Foundation
import ScopeAnalyzers
import ScopeCore
@testable import ScopeLive
import Testing

/// The dashboard shared by several capture loops (`watch --multi`): every
/// loop's batches reach it, a loop never waits on a busy hub unless its
/// batch is full, and `q` reaches every loop.
@Suite struct DashboardHubTests {
    static func makeHub(_ display: DashboardDisplay, counters: @escaping () -> PdumpCounters = { PdumpCounters() }) -> DashboardHub {
        DashboardHub(dashboard: LiveDashboard(display: display, ports: ["net_tap0"], now: LiveDashboard.monotonicNow(),
                                              counters: counters))
    }

    /// "total N" of a frame's transactions line.
    static func total(_ frame: [String]) -> Int? {
        guard let line = frame.first(where: { $0.hasPrefix("transactions ") }),
              let range = line.range(of: "total ") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func batchesFromConcurrentLoopsAllReachTheDashboard() throws {
        let events = try FixtureEvents.read("http.pcap")
        let display = RecordingDisplay()
        let hub = Self.makeHub(display)
        let loops = 4, rounds = 300
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<loops {
            done.enter()
            Thread.detachNewThread {
                start.wait()
                var batch = DashboardBatch()
                var packets: UInt64 = 0
                for round in 0..<rounds {
                    for event in events { batch.record(event) }
                    packets += 10
                    // An idle moment every few rounds: a busy hub is skipped.
                    if round % 3 == 0 { hub.submit(&batch, packets: packets, now: LiveDashboard.monotonicNow()) }
                }
                hub.submit(&batch, packets: packets, now: LiveDashboard.monotonicNow(), wait: true)
                #expect(batch.samples.isEmpty)
                done.leave()
            }
        }
        for _ in 0..<loops { start.signal() }
        done.wait()
        hub.refresh(now: LiveDashboard.monotonicNow())
        let frame = try #require(display.frames.last)
        #expect(Self.total(frame) == loops * rounds * events.count, "\(frame.prefix(4))")
        #expect(frame.contains { $0.hasPrefix("http ") })
        #expect(hub.packetsCounted == UInt64(loops * rounds * 10))
    }

    @Test func aBusyHubLeavesTheBatchUntilItIsFull() throws {
        let display = BlockingDisplay()
        let hub = Self.makeHub(display)
        // One loop is drawing (slowly): the hub is held.
        let drawing = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            hub.refresh(now: LiveDashboard.monotonicNow())
            drawing.signal()
        }
        display.entered.wait()
        var batch = DashboardBatch()
        batch.samples = [Samples.make(), Samples.make()]
        #expect(hub.submit(&batch, packets: 5, now: LiveDashboard.monotonicNow()) == false)
        #expect(batch.samples.count == 2, "kept for the next idle moment")
        // A full batch waits for the hub instead.
        let waited = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var full = DashboardBatch()
        full.samples = Array(repeating: Samples.make(), count: DashboardBatch.mustHandOverCount)
        Thread.detachNewThread {
            hub.submit(&full, packets: 7, now: LiveDashboard.monotonicNow())
            waited.signal()
        }
        #expect(waited.wait(timeout: .now() + 0.2) == .timedOut, "a full batch must wait, not skip")
        display.release.signal()
        drawing.wait()
        waited.wait()
        #expect(full.samples.isEmpty)
        #expect(hub.submit(&batch, packets: 5, now: LiveDashboard.monotonicNow()) == false)
        #expect(batch.samples.isEmpty && hub.packetsCounted == 12)
    }

    @Test func quitReachesTheLoopThatHandsOverNext() {
        let display = RecordingDisplay()
        let hub = Self.makeHub(display)
        var batch = DashboardBatch()
        #expect(hub.submit(&batch, packets: 0, now: LiveDashboard.monotonicNow()) == false)
        display.keys = [.quit]
        var other = DashboardBatch()
        // Keys are read at most every 50 ms.
        #expect(hub.submit(&other, packets: 0, now: LiveDashboard.monotonicNow() + 100_000_000) == true)
        #expect(hub.submit(&batch, packets: 0, now: LiveDashboard.monotonicNow() + 200_000_000) == true)
    }

    @Test func healthLineSumsWhatTheCountersSay() throws {
        let display = RecordingDisplay()
        nonisolated(unsafe) var accepted: UInt64 = 0
        let hub = Self.makeHub(display) { PdumpCounters(accepted: accepted) }
        accepted = 1_234
        var batch = DashboardBatch()
        hub.submit(&batch, packets: 50, now: LiveDashboard.monotonicNow() + 2 * Samples.second)
        let frame = try #require(display.frames.last)
        #expect(frame.contains { $0.hasPrefix("capture ") && $0.contains("pdump accepted 1234 ") }, "\(frame.prefix(3))")
        #expect(!frame.contains { $0.contains("overload") }, "nothing shed, nothing said")
    }

    /// Two loops, one shedding: the health line gives the share of all
    /// packets taken that analysis kept, over the interval.
    @Test func healthLineSaysWhenAnalysisShedsFlows() throws {
        let display = RecordingDisplay()
        let hub = Self.makeHub(display) { PdumpCounters(accepted: 10) }
        let start = LiveDashboard.monotonicNow() + 2 * Samples.second
        var busy = DashboardBatch(), quiet = DashboardBatch()
        hub.submit(&quiet, packets: 1_000, now: start)
        busy.shedPackets = 0
        hub.submit(&busy, packets: 1_000, now: start)
        // The first frame was drawn at the quiet loop's hand-over (1 000
        // packets). By the next: 4 000 more, of which the busy loop shed 1 500.
        quiet.shedPackets = 0
        hub.submit(&quiet, packets: 2_000, now: start + 100_000_000)
        busy.shedPackets = 1_500
        hub.submit(&busy, packets: 3_000, now: start + 2 * Samples.second)
        let frame = try #require(display.frames.last)
        #expect(frame.contains { $0.hasPrefix("capture ") && $0.contains("[overload: analysing 62.5% of packets") },
                "\(frame.prefix(3))")
    }
}

/// A display whose drawing blocks until released: a loop busy redrawing.
final class BlockingDisplay: DashboardDisplay, @unchecked Sendable {
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)

    func size() -> (width: Int, height: Int) { (120, 40) }

    func draw(_ lines: [String], size: (width: Int, height: Int)) -> Bool {
        entered.signal()
        release.wait()
        return true
    }

    func pendingKeys() -> [DashboardKey] { [] }
}
