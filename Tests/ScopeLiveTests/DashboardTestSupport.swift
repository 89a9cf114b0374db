import Foundation
import ScopeAnalyzers
import ScopeDecode
import ScopeLive
import ScopePcap
import ScopeTestSupport

/// Reproducible randomness for the statistics tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Samples {
    static let second: UInt64 = 1_000_000_000

    static func server(_ last: UInt32, port: UInt16 = 80) -> ServerEndpoint {
        ServerEndpoint(address: IPAddress(ipv4: 0x0A00_0000 | last), port: port)
    }

    static func make(_ application: ApplicationProtocol = .http, server: ServerEndpoint = server(1),
                     latency: UInt64 = 1_000_000, bytes: UInt64 = 100, error: Bool = false,
                     resource: String = "/") -> TransactionSample {
        TransactionSample(application: application, server: server, latency: latency, bytes: bytes,
                          isError: error, resource: resource)
    }
}

/// The fixture captures' events (shared FixtureAnalysis).
enum FixtureEvents {
    static func read(_ name: String) throws -> [TransactionEvent] { try FixtureAnalysis.events(name) }
}

/// A display that records what the dashboard draws.
final class RecordingDisplay: DashboardDisplay {
    var width = 120
    var height = 40
    var frames: [[String]] = []
    var keys: [DashboardKey] = []
    var broken = false

    func size() -> (width: Int, height: Int) { (width, height) }

    func draw(_ lines: [String], size: (width: Int, height: Int)) -> Bool {
        frames.append(lines)
        return !broken
    }

    func pendingKeys() -> [DashboardKey] {
        defer { keys.removeAll() }
        return keys
    }
}
