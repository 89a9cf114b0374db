import Foundation
import Testing
@testable import ScopeExport

/// What the export code reads that it did not write this moment (spool
/// files left on disk, exposition text, event lines) never crashes it.
@Suite("Export parsers on damaged input")
struct ExportRobustnessTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("random and mutated bytes: spool files, exposition text, event lines")
    func damaged() throws {
        var random = Generator(state: 19)
        let directory = temporaryDirectory("damaged")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try Spool(directory: directory, maxBytes: 1 << 20)
        _ = try spool.append(records(0..<5))
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first)
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        let exposition = Array("x_total{a=\"b\",c=\"d\\\"e\"} 12\nup 1\ny{le=\"+Inf\"} +Inf\n".utf8)
        let event = Array(#"{"@timestamp":"2026-11-21T20:33:27.820846000Z","type":"http","event":{"start":"2026-11-21T20:33:27.820846000Z"},"http":{"request":{"method":"GET"},"response":{"status_code":200}},"trace":{"id":"4bf92f3577b34da6a3ce929d0e0e4736"},"span":{"id":"00f067aa0ba902b7"}}"#.utf8)
        for round in 0..<1000 {
            for (seed, check) in [(good, 0), (exposition, 1), (event, 2)] {
                var bytes = seed
                if round % 10 == 0 {
                    bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                } else {
                    for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                        let at = Int.random(in: 0..<bytes.count, using: &random)
                        switch Int.random(in: 0...2, using: &random) {
                        case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                        case 1: bytes.removeSubrange(at...)
                        default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
                        }
                    }
                }
                switch check {
                case 0:
                    let path = directory + "/probe"
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    _ = Spool.readFile(path)
                case 1:
                    _ = PrometheusText.parse(bytes)
                default:
                    _ = OTLPEncoder.span(json: bytes)
                    _ = OTLPEncoder.logRecord(json: bytes)
                }
            }
        }
        #expect(Spool.readFile(directory + "/" + name) == records(0..<5))
        #expect(OTLPEncoder.span(json: event) != nil)
    }
}
