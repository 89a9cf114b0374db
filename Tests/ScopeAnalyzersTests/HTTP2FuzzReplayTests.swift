import Foundation
@testable import ScopeAnalyzers
import Testing

/// The HTTP/2 stream seeds of the analyzers' fuzz corpus, crashes the
/// fuzzer found included (stream-http2-crash-*), replayed through an
/// HTTP2Session as AnalyzeFuzz.swift's stream format says (op, u16 length,
/// time step, bytes; op & 3: 0 client, 1 server, 2 gap, 3 expiry), with the
/// fuzzer's tiny limits. Every event must render.
@Suite struct HTTP2FuzzReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/analyze-corpus")

    static func seeds() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasPrefix("stream-http2-") }.sorted()
    }

    @Test func seedsReplayWithoutTrapping() throws {
        let names = try Self.seeds()
        #expect(names.contains { $0.hasPrefix("stream-http2-crash-") } && names.count >= 8)
        for name in names {
            let input = try [UInt8](Data(contentsOf: Self.corpus.appendingPathComponent(name)))
            Self.replay(input)
        }
    }

    static func replay(_ input: [UInt8]) {
        let configuration = AnalyzerConfiguration(transactionTimeout: 400_000_000, maxConnections: 8, maxPendingPerConnection: 4,
                                                  maxHeaderBytes: 256, maxMessageSize: 2048, includeHTTPHeaders: true)
        let context = AnalyzerContext(configuration: configuration)
        let session = TCPSessionTable.makeAnalyzer(.http2, endpoints: Conversation.endpoints, context: context)
        var time: UInt64 = 1
        var offset = 1
        while offset + 4 <= input.count {
            let op = input[offset], length = Int(input[offset + 1]) << 8 | Int(input[offset + 2]), step = UInt64(input[offset + 3])
            time &+= step < 128 ? step * 1_000_000 : (step - 128) * 1_000_000_000
            offset += 4
            switch op & 3 {
            case 0, 1:
                let end = min(input.count, offset + length)
                if end > offset { Array(input[offset..<end]).withUnsafeBytes { session.deliver($0, fromClient: op & 3 == 0, timestamp: time) } }
                offset = end
            case 2:
                if length > 0 { session.gap(length: length, fromClient: op >> 2 & 1 == 0, timestamp: time) }
            default:
                session.expire(now: time)
            }
        }
        session.close(reason: .fin, timestamp: time)
        context.drainEvents { event in
            var json: [UInt8] = []
            event.appendJSON(to: &json)
            #expect(json.first == 0x7B && json.last == 0x7D)
        }
    }
}
