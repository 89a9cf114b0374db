import Foundation
import Testing
@testable import ScopeExport

/// A reload replaces the outputs; an output still configured under the same
/// name must count on, never from zero (Prometheus counters only grow).
@Suite struct ExportCountersReloadTests {
    static func settings(_ name: String) -> Exporter.Settings {
        .init(name: name, batchSize: 2, interval: 0.05, queueCapacity: 100, memoryBacklog: 100,
              retry: .init(initial: 0.05, maximum: 0.1))
    }

    static func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test func anOutputKeptAcrossAReloadCountsOnAndANewOneStartsAtZero() throws {
        let log: @Sendable (String) -> Void = { _ in }
        // Before the reload: 3 sent, 2 dropped (rejected), 1 retried request.
        let first = Exporter(settings: Self.settings("kept"),
                             transport: ScriptedTransport([.retry(after: nil, reason: "503"), .sent(rejected: 0, message: nil),
                                                           .rejected(reason: "400")]),
                             spool: nil, log: log)
        first.start()
        first.enqueue([[1], [2]])
        #expect(Self.waitUntil(10) { first.counters.snapshot.sent == 2 })
        first.enqueue([[3], [4]])
        #expect(Self.waitUntil(10) { first.counters.snapshot.dropped == 2 })
        first.enqueue([[5]])
        first.close(timeout: 5)
        let before = first.counters.snapshot
        #expect(before.sent == 3 && before.dropped == 2 && before.retried == 1, "\(before)")

        // The reload: the old exporters' counters by name go to the new ones.
        let carried = ExportCounters.byOutput([first])
        let kept = Exporter(settings: Self.settings("kept"), transport: ScriptedTransport(), spool: nil,
                            counters: carried["kept"] ?? ExportCounters(), log: log)
        let added = Exporter(settings: Self.settings("added"), transport: ScriptedTransport(), spool: nil,
                             counters: carried["added"] ?? ExportCounters(), log: log)
        kept.start()
        added.start()
        kept.enqueue([[6], [7]])
        added.enqueue([[8], [9]])
        #expect(Self.waitUntil(10) { kept.counters.snapshot.sent == 5 && added.counters.snapshot.sent == 2 })
        kept.close(timeout: 5)
        added.close(timeout: 5)
        let after = kept.counters.snapshot
        #expect(after.sent == 5 && after.dropped == 2 && after.retried == 1, "\(after)")
        #expect(added.counters.snapshot.dropped == 0 && added.counters.snapshot.retried == 0)
    }

    /// Each output hands the counters of its own name to its exporters.
    @Test func outputsTakeTheCountersOfTheirNames() throws {
        let log: @Sendable (String) -> Void = { _ in }
        let traces = ExportCounters(), kafka = ExportCounters(), remoteWrite = ExportCounters()
        let carried = ["otlp_traces": traces, "kafka": kafka, "remote_write": remoteWrite]
        let otlp = try OTLPOutput(settings: .init(endpoint: "http://127.0.0.1:9"), spool: nil,
                                  resource: OTLPResource(hostName: "h"), counters: carried, log: log)
        #expect(otlp.exporters.map(\.settings.name) == ["otlp_traces", "otlp_logs"])
        #expect(otlp.exporters[0].counters === traces)
        #expect(otlp.exporters[1].counters !== traces && otlp.exporters[1].counters !== kafka)
        let push = try RemoteWriteOutput(settings: .init(url: "http://127.0.0.1:9/api/v1/write"), spool: nil,
                                         source: { [] }, counters: carried, log: log)
        #expect(push.exporter.counters === remoteWrite)
        let producer = try KafkaOutput(settings: .init(producer: .init(brokers: ["127.0.0.1:9"])), spool: nil,
                                       counters: carried, log: log)
        #expect(producer.exporter.counters === kafka)
        #expect(ExportCounters.byOutput(otlp.exporters + [producer.exporter])["kafka"] === kafka)
    }
}
