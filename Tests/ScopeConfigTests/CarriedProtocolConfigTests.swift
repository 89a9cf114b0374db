import ScopeAnalyzers
import Testing
@testable import ScopeConfig

/// `protocols.grpc`, a protocol carried by http2: it has no ports of its
/// own, follows http2 unless it says otherwise, and alone runs the http2
/// analyzer on http2's section's ports.
@Suite struct CarriedProtocolConfigTests {
    @Test func grpcAloneRunsHTTP2OnHTTP2sPorts() throws {
        let config = try AgentConfiguration.parse("protocols:\n  http2: { enabled: false, ports: [8081] }\n  grpc: { enabled: true }\n")
        let selection = try config.protocolSelection()
        #expect(selection.isEnabled(.grpc) && !selection.isEnabled(.http2))
        #expect(selection.analyzed.contains(.http2) && selection.ports(for: .http2) == [8081])
        #expect(!selection.reportsEverything(of: .http2))
        #expect(config.analyzerConfiguration().selection == selection)
    }

    @Test func grpcFollowsHTTP2UnlessItSaysOtherwise() throws {
        let off = try AgentConfiguration.parse("protocols:\n  http2: { enabled: false }\n")
        let offSelection = try off.protocolSelection()
        #expect(!off.protocols.isEnabled(.grpc) && !offSelection.runs(.http2))
        let onlyGRPCOff = try AgentConfiguration.parse("protocols:\n  grpc: { enabled: false }\n")
        let selection = try onlyGRPCOff.protocolSelection()
        #expect(selection.reportsEverything(of: .http2) && !selection.isEnabled(.grpc))
        #expect(AgentConfiguration.defaults.protocols.isEnabled(.grpc))
    }

    @Test func grpcHasNoPortsAndItsCarriersPortsAreClaimed() {
        #expect(configErrors("protocols:\n  grpc: { ports: [50051] }\n").map(\.path) == ["protocols.grpc.ports"])
        // http2 is off, but grpc keeps its analyzer on 8080, which is HTTP's.
        let errors = configErrors("protocols:\n  http2: { enabled: false, ports: [8080] }\n  grpc: { enabled: true }\n")
        #expect(errors.map(\.path) == ["protocols.http2.ports[0]"])
        #expect(errors.first?.message.contains("port 8080 is already one of http's default ports") == true)
        // Off together, http2's ports are free.
        #expect(configErrors("protocols:\n  http: { ports: [80, 50051] }\n  http2: { enabled: false }\n").isEmpty)
    }
}
