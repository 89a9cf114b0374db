import ScopeAnalyzers
import ScopeDecode
@testable import ScopeLive
import ScopePcap
import ScopeTestSupport
import Testing

/// The analysis core fed from memory, as a capture loop feeds it: the same
/// frames give the same transactions as `read`'s path, flows come only when
/// asked for, overload sheds whole flows, and a reload reports what the old
/// analyzers held.
@Suite struct AnalysisCoreTests {
    final class Recorder: AnalysisSink {
        var events: [TransactionEvent] = []
        var flows: [FlowEvent] = []
        func receive(_ event: TransactionEvent) { events.append(event) }
        func receive(_ flow: FlowEvent) { flows.append(flow) }
    }

    /// Every Ethernet frame of a fixture capture, with its time.
    static func frames(_ name: String) throws -> [([UInt8], UInt64)] {
        let reader = try CaptureFileReader(path: FixtureAnalysis.directory + "/" + name)
        var frames: [([UInt8], UInt64)] = []
        while let packet = try reader.next() {
            if packet.linkType == 1 { frames.append((Array(packet.bytes), packet.timestamp)) }
        }
        return frames
    }

    static func feed(_ core: AnalysisCore, _ frames: [([UInt8], UInt64)], into sink: AnalysisSink) {
        for (bytes, time) in frames {
            bytes.withUnsafeBytes { core.observe(frame: $0, timestamp: time, into: sink) }
        }
    }

    @Test(arguments: ["http.pcap", "dns.pcap", "redis.pcap", "pgsql.pcap", "mysql.pcap", "memcache.pcap", "icmp.pcap"])
    func sameTransactionsAsRead(_ capture: String) throws {
        let core = AnalysisCore(analyzers: AnalyzerConfiguration())
        let sink = Recorder()
        let frames = try Self.frames(capture)
        Self.feed(core, frames, into: sink)
        core.finish(into: sink)
        let expected = try FixtureAnalysis.events(capture)
        #expect(!expected.isEmpty)
        #expect(sink.events.map(\.json) == expected.map(\.json))
        #expect(sink.flows.isEmpty, "flows only when asked for")
        #expect(core.frames == UInt64(frames.count))
        #expect(core.frameBytes == frames.reduce(0) { $0 + UInt64($1.0.count) })
    }

    @Test func flowsWhenAskedFor() throws {
        let core = AnalysisCore(analyzers: AnalyzerConfiguration(), reportsFlows: true)
        let sink = Recorder()
        Self.feed(core, try Self.frames("http.pcap"), into: sink)
        core.finish(into: sink)
        #expect(!sink.flows.isEmpty && sink.flows.allSatisfy(\.isFinal))
        #expect(UInt64(sink.flows.count) == core.flowCounters.created)
    }

    @Test func overloadShedsWholeFlowsAndCountsThem() throws {
        let core = AnalysisCore(analyzers: AnalyzerConfiguration())
        let sink = Recorder()
        for _ in 0..<20 { core.ringFill(0.95) }  // the ring stays full: admission all but closes
        #expect(core.admission.isShedding)
        let frames = try Self.frames("http.pcap")
        Self.feed(core, frames, into: sink)
        core.finish(into: sink)
        let shed = core.statsFields.first { $0.0 == "analysis_shed_packets" }?.1 ?? 0
        #expect(shed > 0)
        #expect(sink.events.count < (try FixtureAnalysis.events("http.pcap")).count)
    }

    @Test func reloadReportsWhatTheOldAnalyzersHeld() throws {
        let core = AnalysisCore(analyzers: AnalyzerConfiguration())
        let sink = Recorder()
        let frames = try Self.frames("http.pcap")
        // Half the capture, then new analyzer settings: the connections cut
        // here are reported now, by the old engine, not lost.
        Self.feed(core, Array(frames.prefix(frames.count / 2)), into: sink)
        let before = sink.events.count
        var next = AnalyzerConfiguration()
        next.transactionTimeout = 5_000_000_000
        core.replaceAnalyzers(next, streams: nil, reportingTo: sink)
        #expect(sink.events.count > before)
        #expect(core.statsFields.first { $0.0 == "http_transactions" }?.1 == 0, "a fresh engine")
    }

    /// A loop behind on its ring calls `advance` with a wall clock far
    /// ahead of the frames it still holds: time then follows the frames, so
    /// a request answered in the capture is one matched transaction, not an
    /// unanswered one and an unsolicited answer. On a quiet link (no frame
    /// since the last call) the wall clock still times requests out.
    @Test func wallClockWaitsForAQuietLink() throws {
        // DNS: its queries time out (after transactionTimeout) when unanswered.
        let frames = try Self.frames("dns.pcap")
        let expected = try FixtureAnalysis.events("dns.pcap")
        let late = try #require(frames.last?.1) + 3_600_000_000_000
        let behind = AnalysisCore(analyzers: AnalyzerConfiguration())
        let sink = Recorder()
        for (bytes, time) in frames {
            bytes.withUnsafeBytes { behind.observe(frame: $0, timestamp: time, into: sink) }
            behind.advance(to: late, into: sink)  // the periodic call of a busy loop
        }
        behind.finish(into: sink)
        #expect(sink.events.map(\.json) == expected.map(\.json))

        // The first frame is a query, answered by the second.
        let quiet = AnalysisCore(analyzers: AnalyzerConfiguration())
        let timedOut = Recorder()
        Self.feed(quiet, Array(frames.prefix(1)), into: timedOut)
        quiet.advance(to: late, into: timedOut)
        #expect(timedOut.events.isEmpty, "a frame came in since the last call")
        quiet.advance(to: late + 1, into: timedOut)
        #expect(timedOut.events.map(\.outcome) == ["unanswered"])
    }
}
