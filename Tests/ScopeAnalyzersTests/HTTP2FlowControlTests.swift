@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// Flow-control windows (RFC 9113 §6.9) from hand-built frames: stalls per
/// stream and direction, violations counted, nothing tracked without the
/// connection's start. Every segment cut gives the same events.
@Suite struct HTTP2FlowControlTests {
    static func word(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    static func initialWindow(_ value: UInt32) -> [UInt8] { H2.frame(HTTP2FrameType.settings, 0, 0, [0, 4] + word(value)) }
    static func windowUpdate(_ stream: UInt32, _ increment: UInt32) -> [UInt8] {
        H2.frame(HTTP2FrameType.windowUpdate, 0, stream, word(increment))
    }
    static func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: 0x61, count: count) }

    /// Runs the steps, checks that every cut of every step gives the same
    /// events, and returns them with the counters.
    static func run(_ steps: [Conversation.Step], splitting: Bool = true) -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        let conversation = Conversation(steps: steps)
        if splitting {
            #expect(Set(conversation.splitEverywhere(.http2).map { $0.joined(separator: "|") }).count == 1)
        }
        return conversation.run(.http2)
    }

    @Test func streamWindowStallEndsAtTheWindowUpdate() {
        // The client allows 10 bytes per stream; the server sends 10, waits for the update, then the rest.
        let (events, counters) = Self.run([
            .client(H2.preface + Self.initialWindow(10) + H2.headers(1, H2.request("/big"), endStream: true), at: 1),
            .server(H2.settings + H2.headers(1, H2.status(200)) + H2.data(1, Self.bytes(10)), at: 2),
            .client(Self.windowUpdate(1, 10), at: 5),
            .server(H2.data(1, Self.bytes(5), endStream: true), at: 6),
        ])
        #expect(events.count == 1 && events[0].h2?.flowStalls == HTTP2FlowStalls(request: nil, response: .init(stalls: 1, nanoseconds: 3)))
        #expect(events[0].json.contains("\"flow_control\":{\"response\":{\"stalls\":1,\"stalled_ns\":3}}"))
        #expect(counters.flowControlErrors == 0 && counters.matched == 1 && events[0].notes.isEmpty)
    }

    @Test func connectionWindowStallEndsAtTheConnectionUpdate() {
        // Stream windows are large; the connection's 65,535 bytes run out after four full frames and one short.
        let full = H2.data(1, Self.bytes(16_384))
        let (events, counters) = Self.run([
            .client(H2.preface + Self.initialWindow(1 << 20) + H2.headers(1, H2.request("/big"), endStream: true), at: 1),
            .server(H2.settings + H2.headers(1, H2.status(200)) + full + full + full + H2.data(1, Self.bytes(16_383)), at: 2),
            .client(Self.windowUpdate(1, 100), at: 3),  // the stream's window alone does not free it
            .client(Self.windowUpdate(0, 100), at: 7),
            .server(H2.data(1, Self.bytes(100), endStream: true), at: 8),
        ], splitting: false)
        #expect(events.count == 1 && events[0].h2?.flowStalls?.response == .init(stalls: 1, nanoseconds: 5))
        #expect(events[0].h2?.flowStalls?.request == nil && counters.flowControlErrors == 0)
    }

    @Test func largerInitialWindowFreesOpenStreams() {
        let (events, _) = Self.run([
            .client(H2.preface + Self.initialWindow(10) + H2.headers(1, H2.request("/big"), endStream: true), at: 1),
            .server(H2.settings + H2.headers(1, H2.status(200)) + H2.data(1, Self.bytes(10)), at: 2),
            .client(Self.initialWindow(20), at: 4),  // +10 on every open stream of the server
            .server(H2.data(1, Self.bytes(10), endStream: true), at: 6),
        ])
        #expect(events.count == 1 && events[0].h2?.flowStalls?.response == .init(stalls: 1, nanoseconds: 2))
    }

    @Test func theWholeWindowWithEndStreamIsNoStall() {
        let (events, _) = Self.run([
            .client(H2.preface + Self.initialWindow(10) + H2.headers(1, H2.request("/a", method: "POST")) + H2.data(1, Self.bytes(3), endStream: true), at: 1),
            .server(H2.settings + H2.headers(1, H2.status(200)) + H2.data(1, Self.bytes(10), endStream: true), at: 2),
        ])
        #expect(events.count == 1 && events[0].h2?.flowStalls == nil && !events[0].json.contains("flow_control"))
    }

    @Test func aStreamResetWhileBlockedStalledUntilItsEnd() {
        let (events, _) = Self.run([
            .client(H2.preface + Self.initialWindow(10) + H2.headers(1, H2.request("/big"), endStream: true), at: 1),
            .server(H2.settings + H2.headers(1, H2.status(200)) + H2.data(1, Self.bytes(10)), at: 2),
            .client(H2.rst(1, 8), at: 9),
        ])
        #expect(events.count == 1 && events[0].h2?.flowStalls?.response == .init(stalls: 1, nanoseconds: 7))
    }

    @Test func violationsAreCounted() {
        let (events, counters) = Self.run([
            .client(H2.preface + Self.initialWindow(10) + H2.headers(1, H2.request("/big"), endStream: true), at: 1),
            // 11 bytes into a 10-byte window.
            .server(H2.settings + H2.headers(1, H2.status(200)) + H2.data(1, Self.bytes(11)), at: 2),
            // The connection's window past 2^31-1, an increment of 0, an initial window past 2^31-1.
            .client(Self.windowUpdate(0, 0x7FFF_FFFF) + Self.windowUpdate(1, 0) + Self.initialWindow(0x8000_0000), at: 3),
            .client(Self.windowUpdate(1, 100), at: 4),
            .server(H2.data(1, Self.bytes(1), endStream: true), at: 5),
        ])
        #expect(counters.flowControlErrors == 4)
        #expect(counters.fields.contains { $0 == ("flow_control_errors", 4) })
        #expect(events.count == 1 && events[0].notes == ["DATA beyond the flow-control window from the server"])
        #expect(events[0].h2?.flowStalls?.response == .init(stalls: 1, nanoseconds: 2))
    }

    @Test func midConnectionCaptureTracksNothing() {
        // No preface: the windows are unknown, so neither stalls nor violations.
        let (events, counters) = Self.run([
            .client(H2.headers(1, H2.request("/big"), endStream: true), at: 1),
            .server(H2.headers(1, H2.status(200)) + H2.data(1, Self.bytes(70_000)), at: 2),
            .client(Self.windowUpdate(0, 1) + Self.windowUpdate(1, 1), at: 3),
            .server(H2.data(1, Self.bytes(1), endStream: true), at: 4),
        ], splitting: false)
        #expect(counters.flowControlErrors == 0 && events.allSatisfy { $0.h2?.flowStalls == nil })
        #expect(!counters.fields.contains { $0.0 == "flow_control_errors" })
    }
}
