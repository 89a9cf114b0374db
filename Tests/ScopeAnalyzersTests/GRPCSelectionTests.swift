@testable import ScopeAnalyzers
import ScopeDecode
import Testing

/// `grpc` as a name of its own, carried by `http2`: what selecting grpc,
/// http2 or both runs and reports, on hand-built streams and on the gRPC
/// and HTTP/2 fixtures (against tshark's view of which streams are gRPC).
@Suite struct GRPCSelectionTests {
    static func selection(_ spec: String) throws -> AnalyzerConfiguration {
        AnalyzerConfiguration(selection: try ProtocolSelection(parsing: spec))
    }

    @Test func grpcAloneRunsTheHTTP2AnalyzerOnItsPorts() throws {
        let grpc = try ProtocolSelection(parsing: "grpc")
        #expect(grpc.enabled == [.grpc] && grpc.analyzed == [.http2])
        #expect(grpc.ports(for: .http2) == [50051] && grpc.ports(for: .grpc) == [])
        #expect(grpc.runs(.http2) && !grpc.runs(.grpc) && !grpc.reportsEverything(of: .http2))
        let context = AnalyzerContext(configuration: AnalyzerConfiguration(selection: grpc))
        #expect(context.streamProtocols == [.http2] && context.ports.lookup(50051, .tcp) == .http2)

        let elsewhere = try ProtocolSelection(parsing: "grpc:9000-9001")
        #expect(elsewhere.ports(for: .http2) == [9000, 9001])
        let both = try ProtocolSelection(parsing: "http2:8080;grpc")
        #expect(both.analyzed == [.http2] && both.ports(for: .http2) == [8080, 50051] && both.reportsEverything(of: .http2))
        let http2 = try ProtocolSelection(parsing: "http2")
        #expect(http2.analyzed == [.http2] && !http2.isEnabled(.grpc) && http2.reportsEverything(of: .http2))
        // The defaults name both: nothing changes for a user who asks for everything.
        #expect(ProtocolSelection.defaults.analyzed == ApplicationProtocol.allCases.filter { $0 != .grpc })
    }

    @Test func grpcPortsBelongToTheHTTP2Analyzer() throws {
        // One analyzer, so the same port under both names is no conflict ...
        #expect(try ProtocolSelection(parsing: "http2:50051;grpc:50051").ports(for: .http2) == [50051])
        // ... but a port of another analyzer is.
        #expect(throws: ProtocolSelection.SpecError(description: "port 80 given for both http and grpc")) {
            try ProtocolSelection(parsing: "http:80;grpc:80")
        }
        #expect(throws: ProtocolSelection.SpecError.self) { try ProtocolSelection(parsing: "grpc;grpc") }
    }

    /// One connection: a gRPC call on stream 1, a plain GET on stream 3, a
    /// reset gRPC call on stream 5.
    static let mixed: [Conversation.Step] = {
        let grpc = H2.literal("content-type", "application/grpc")
        return [
            .client(H2.preface + H2.settings + H2.headers(1, H2.request("/pkg.Svc/Do", method: "POST", extra: grpc))
                    + H2.data(1, H2.grpcMessage(4), endStream: true) + H2.headers(3, H2.request("/index.html"), endStream: true)
                    + H2.headers(5, H2.request("/pkg.Svc/Slow", method: "POST", extra: grpc)), at: 1),
            .server(H2.settings + H2.headers(1, H2.status(200, extra: grpc)) + H2.data(1, H2.grpcMessage(2))
                    + H2.headers(1, H2.literal("grpc-status", "0"), endStream: true)
                    + H2.headers(3, H2.status(200)) + H2.data(3, [1, 2, 3], endStream: true), at: 2),
            .client(H2.rst(5, 8), at: 3),
        ]
    }()

    @Test(arguments: [("grpc", ["POST /pkg.Svc/Do -> 200 grpc=OK", "POST /pkg.Svc/Slow -> ? reset=CANCEL"], 1),
                      ("http2", ["POST /pkg.Svc/Do -> 200 grpc=OK", "GET /index.html -> 200", "POST /pkg.Svc/Slow -> ? reset=CANCEL"], 0),
                      ("http2;grpc", ["POST /pkg.Svc/Do -> 200 grpc=OK", "GET /index.html -> 200", "POST /pkg.Svc/Slow -> ? reset=CANCEL"], 0)])
    func selectionKeepsWhatWasAskedFor(_ spec: String, _ summaries: [String], _ unselected: UInt64) throws {
        let conversation = Conversation(steps: Self.mixed)
        let configuration = try Self.selection(spec)
        let (events, counters) = conversation.run(.http2, configuration: configuration)
        #expect(events.map { $0.h2!.summary } == summaries)
        // Every event stays http2's: grpc is a selection, not an event type.
        #expect(events.allSatisfy { $0.application == .http2 && $0.json.contains("\"type\":\"http2\"") })
        #expect(counters.transactions == UInt64(summaries.count) && counters.unselected == unselected)
        #expect(counters.requests == 3 && counters.matched == 2)
        #expect(counters.fields.contains { $0.0 == "unselected" } == (unselected > 0))
        // However the segments are cut.
        #expect(Set(conversation.splitEverywhere(.http2, configuration: configuration).map { $0.joined(separator: "|") }).count == 1)
    }
}
