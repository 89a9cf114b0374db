import Testing
@testable import ScopeAnalyzers

/// W3C traceparent on HTTP requests: the trace and the calling span reach
/// the event as trace.id and span.id (what the OTLP span's parent is
/// taken from); invalid headers are ignored, as receivers must.
struct HTTPTraceParentTests {
    func transaction(_ header: String?) -> TransactionEvent? {
        let request = header.map { http("GET /t HTTP/1.1", "traceparent: \($0)", "", "") } ?? http("GET /t HTTP/1.1", "", "")
        return Conversation(steps: [
            .client(request, at: 1),
            .server(http("HTTP/1.1 200 OK", "Content-Length: 0", "", ""), at: 2),
        ]).run().events.first
    }

    @Test func validHeaderGivesTraceAndCallerSpan() throws {
        let event = try #require(transaction("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(event.http?.request?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(event.http?.request?.parentSpanID == "00f067aa0ba902b7")
        #expect(event.json.contains(#""trace":{"id":"4bf92f3577b34da6a3ce929d0e0e4736"},"span":{"id":"00f067aa0ba902b7"}"#))
        // A later version may append fields.
        #expect(transaction("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")?.http?.request?.traceID != nil)
    }

    @Test func invalidHeadersAreIgnored() {
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // forbidden version
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // version 00 has no more fields
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short
            "garbage",
        ] {
            let event = transaction(bad)
            #expect(event?.http?.request?.traceID == nil, "\(bad)")
            #expect(event?.json.contains("\"trace\"") == false)
        }
        #expect(transaction(nil)?.json.contains("\"trace\"") == false)
    }
}
