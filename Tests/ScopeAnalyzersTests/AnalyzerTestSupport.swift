@testable import ScopeAnalyzers
import ScopeDecode

/// Drives one protocol session directly with hand-built byte streams (no
/// packets): each step is one side's bytes at a time, then the close.
struct Conversation {
    enum Step {
        case client([UInt8], at: UInt64)
        case server([UInt8], at: UInt64)
        case clientGap(Int, at: UInt64)
        case serverGap(Int, at: UInt64)
        case expire(at: UInt64)
    }

    var steps: [Step]
    var close: StreamCloseReason? = .fin

    static let endpoints = TransactionEndpoints(client: IPAddress("10.0.0.1")!, clientPort: 40000,
                                                server: IPAddress("10.0.0.2")!, serverPort: 80, transport: .tcp)

    /// Runs the conversation through a fresh session; `chunk` splits each
    /// data step into deliveries (the reassembler may cut anywhere). The
    /// counters are `proto`'s, or `counting`'s (a protocol that took the
    /// connection over).
    func run(_ proto: ApplicationProtocol = .http, configuration: AnalyzerConfiguration = AnalyzerConfiguration(),
             counting: ApplicationProtocol? = nil,
             chunk: ([UInt8]) -> [[UInt8]] = { [$0] }) -> (events: [TransactionEvent], counters: AnalyzerCounters) {
        let context = AnalyzerContext(configuration: configuration)
        var session = TCPSessionTable.makeAnalyzer(proto, endpoints: Self.endpoints, context: context)
        var last: UInt64 = 0
        for step in steps {
            switch step {
            case .client(let bytes, let time), .server(let bytes, let time):
                let fromClient: Bool
                if case .client = step { fromClient = true } else { fromClient = false }
                for piece in chunk(bytes) {
                    piece.withUnsafeBytes {
                        session.deliver($0, fromClient: fromClient, timestamp: time)
                        // As TCPSessionTable does: another protocol may take the connection over.
                        session = TCPSessionTable.takeHandOver(context, endpoints: Self.endpoints, bytes: $0,
                                                               fromClient: fromClient, timestamp: time) ?? session
                    }
                }
                last = time
            case .clientGap(let length, let time):
                session.gap(length: length, fromClient: true, timestamp: time)
                last = time
            case .serverGap(let length, let time):
                session.gap(length: length, fromClient: false, timestamp: time)
                last = time
            case .expire(let time):
                session.expire(now: time)
                context.dns.expire(now: time)
                last = time
            }
        }
        if let close { session.close(reason: close, timestamp: last) }
        context.dns.drain(now: last)
        var events: [TransactionEvent] = []
        context.drainEvents { events.append($0) }
        return (events, context.counters(counting ?? proto))
    }

    /// Every way of cutting each data step in two, plus byte by byte: all
    /// must give the same events as delivering each step whole.
    func splitEverywhere(_ proto: ApplicationProtocol = .http,
                         configuration: AnalyzerConfiguration = AnalyzerConfiguration()) -> [[String]] {
        let longest = steps.map { step -> Int in
            switch step {
            case .client(let bytes, _), .server(let bytes, _): bytes.count
            default: 0
            }
        }.max() ?? 0
        var results: [[String]] = []
        for cut in 0...longest {
            results.append(run(proto, configuration: configuration) { bytes in
                cut < bytes.count ? [Array(bytes[..<cut]), Array(bytes[cut...])] : [bytes]
            }.events.map(\.fingerprint))
        }
        results.append(run(proto, configuration: configuration) { $0.map { [$0] } }.events.map(\.fingerprint))
        return results
    }
}

extension TransactionEvent {
    /// Everything a split could get wrong, in one comparable string.
    var fingerprint: String {
        var parts = [line, "req=\(requestBytes)", "resp=\(responseBytes)"]
        if let http = details as? HTTPTransaction {
            parts.append("reqBody=\(http.request?.bodyBytes ?? 0) respBody=\(http.response?.bodyBytes ?? 0)")
        }
        return parts.joined(separator: " ")
    }

    var http: HTTPTransaction? {
        if let http = details as? HTTPTransaction { return http }
        return nil
    }

    var dns: DNSTransaction? {
        if let dns = details as? DNSTransaction { return dns }
        return nil
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

/// "…\r\n" lines joined: readable HTTP fixtures.
func http(_ lines: String...) -> [UInt8] {
    Array(lines.map { $0 + "\r\n" }.joined().utf8)
}
